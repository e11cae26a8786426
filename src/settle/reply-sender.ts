import { replyCode } from "../amqp/amqp-reply.js";
import type { Failure } from "../backends/backend.js";
import type { ReplyConfig } from "../config/types.js";
import { errorReplyOf, type ReplyPublish } from "../copies/reply-message.js";
import { toError } from "../errors.js";
import type { HeldMessage } from "../held/held-message.js";
import type { LogThrottle } from "../observability/log-throttle.js";
import type { Logger } from "../observability/logger.js";
import type { AgentMetrics } from "../observability/metrics.js";
import type { ReplyFailureReason } from "../observability/reply-metrics.js";
import type { CircuitBreaker } from "../policy/circuit-breaker.js";
import type { Decision, Happening, Step } from "../policy/decide.js";
import { traceIdOf } from "../tracing/index.js";

/** Publishes a reply on the replies' own channel (confirms; `mandatory` as the reply says). */
export type ReplyPublisher = (reply: ReplyPublish) => Promise<"confirmed" | "unroutable">;

export interface ReplySenderOptions {
  publish: ReplyPublisher;
  /** `reply` (its `on_failure`); error replies are off without it. */
  reply?: ReplyConfig | undefined;
  breaker: Pick<
    CircuitBreaker,
    "state" | "openReason" | "admits" | "startProbe" | "probeDueAt" | "recordSuccess" | "recordSystemic"
  >;
  metrics: AgentMetrics;
  log: Logger;
  throttle: LogThrottle;
  /** The decision for what happened to the reply. */
  decide(held: HeldMessage, happening: Happening): Decision;
  now?: () => number;
}

/** How long a reply waits for the breaker when no probe time is known (a probe is under way). */
const RECHECK_MS = 1_000;

/**
 * Publishes the replies of messages that succeeded, keeping each message (unacked) and its result
 * until the broker confirms: a failed publish is tried again after a backoff, never by invoking the
 * function again. Failures are platform failures for the circuit breaker; while it is open on them
 * (they reached its threshold), its probe is the next reply publish and the other replies wait for
 * it; opened by the backend's failures, replies go on and an invocation probes. At the drain timeout
 * (`abandon`) the replies still waiting are given up.
 */
export class ReplySender {
  private holding = 0;
  private abandoned = false;
  private readonly wakers = new Set<() => void>();
  private readonly now: () => number;

  constructor(private readonly options: ReplySenderOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Messages whose reply waits for a publish or a confirm. */
  get held(): number {
    return this.holding;
  }

  /** Whether the breaker's probe belongs to a reply (opened by failed reply publishes, replies held). */
  get wantsProbe(): boolean {
    return this.holding > 0 && this.options.breaker.openReason?.source === "replies";
  }

  /** The breaker moved, or the agent gave up: replies waiting look again. */
  wake(): void {
    for (const wake of [...this.wakers]) wake();
  }

  /** The drain timed out: what still waits is given up (left to the broker; lost with `auto_ack`). */
  abandon(): void {
    this.abandoned = true;
    this.wake();
  }

  /**
   * `on_failure: "error_reply"`: the error reply of a message that was dead-lettered, published
   * once, best effort (its message is acked whatever becomes of it).
   */
  async errorReply(held: HeldMessage, failure: Failure, attempts: number): Promise<void> {
    const { reply } = this.options;
    const input = {
      message: held.message,
      origin: held.origin,
      trace: held.trace?.copyHeaders(held.traceIndex),
    };
    const errorReply = reply && errorReplyOf(reply, input, { ...failure, attempts });
    if (!errorReply) return;
    try {
      const result = await this.options.publish(errorReply);
      if (result === "confirmed") this.options.metrics.replies.published.inc();
      else this.options.metrics.replies.failure("unroutable").inc();
    } catch (thrown) {
      this.options.metrics.replies.failure(failureReasonOf(thrown)).inc();
    }
  }

  /** Publishes `held.reply` (first after `delayMs`) until it settles; returns the step that settles it. */
  async send(held: HeldMessage, delayMs: number): Promise<Step> {
    this.holding += 1;
    try {
      let wait = delayMs;
      for (;;) {
        if (wait > 0 && !this.abandoned) await this.pause(wait);
        const probe = await this.turn();
        if (probe === undefined) return this.giveUp(held);
        if (!held.session.alive) {
          // Its delivery tag is dead: the broker redelivers it (with auto_ack the reply still goes).
          const lost = this.options.decide(held, { kind: "channel_lost" });
          if (lost.step.do === "leave_to_broker") return lost.step;
        }
        const happening = await this.publishOnce(held, probe);
        const decision = this.options.decide(held, happening);
        if (decision.step.do !== "reply") return decision.step;
        held.replyFailures += 1;
        wait = decision.step.delayMs;
      }
    } finally {
      this.holding -= 1;
    }
  }

  private giveUp(held: HeldMessage): Step {
    this.options.metrics.replies.failure("abandoned").inc();
    return this.options.decide(held, { kind: "drain_timeout" }).step;
  }

  private async publishOnce(held: HeldMessage, probe: boolean): Promise<Happening> {
    const { metrics, breaker } = this.options;
    const reply = held.reply as ReplyPublish;
    const started = this.now();
    let result: "confirmed" | "unroutable";
    try {
      result = await this.options.publish(reply);
    } catch (thrown) {
      this.failed(held, probe, failureReasonOf(thrown), toError(thrown).message);
      return { kind: "reply_failed", cause: "error" };
    }
    if (result === "unroutable") {
      this.failed(
        held,
        probe,
        "unroutable",
        `the broker returned it: no queue is bound for "${reply.routingKey}"`,
      );
      return { kind: "reply_failed", cause: "unroutable" };
    }
    metrics.replies.published.inc();
    metrics.replies.duration.observe((this.now() - started) / 1000);
    // Says the platform works: a probe closes the breaker; closed, it ends a run of failures.
    if (probe || breaker.state === "closed") breaker.recordSuccess([]);
    return { kind: "replied" };
  }

  private failed(held: HeldMessage, probe: boolean, reason: ReplyFailureReason, detail: string): void {
    const { metrics, log, throttle, breaker } = this.options;
    const reply = held.reply as ReplyPublish;
    metrics.replies.failure(reason).inc();
    const dropped = reason === "unroutable" && reply.exchange === "";
    const traceId = traceIdOf(held.trace?.copyHeaders(held.traceIndex));
    const where =
      reply.exchange === ""
        ? `reply_to "${reply.routingKey}"`
        : `exchange "${reply.exchange}" with routing key "${reply.routingKey}"`;
    if (dropped) {
      throttle.warn(
        log,
        "reply-dropped",
        { reason, routingKey: reply.routingKey, traceId },
        `reply to ${where} dropped: the requester went away (${detail}); the request is acked`,
      );
      return;
    }
    breaker.recordSystemic(`reply publish failed (${reason})`, { probe, source: "replies" });
    throttle.warn(
      log,
      `reply-failed:${reason}`,
      { reason, exchange: reply.exchange, routingKey: reply.routingKey, traceId },
      `could not publish a reply to ${where}: ${detail}; the result is kept and the publish retried (the function is not invoked again)`,
    );
  }

  /** Whether this reply may go now (`true`: as the breaker's probe); `undefined`: given up. */
  private async turn(): Promise<boolean | undefined> {
    const { breaker } = this.options;
    for (;;) {
      if (this.abandoned) return undefined;
      // Opened by the backend's failures: the reply's route is not what failed; it goes.
      if (breaker.state === "closed" || breaker.openReason?.source !== "replies") return false;
      if (breaker.admits() === "probe") {
        breaker.startProbe();
        return true;
      }
      const due = breaker.state === "open" ? breaker.probeDueAt - this.now() : RECHECK_MS;
      await this.pause(Math.max(1, Math.min(RECHECK_MS, due)));
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }
}

/** Why a publish threw: a missing exchange (404), another channel error, or no broker answer at all. */
function failureReasonOf(thrown: unknown): ReplyFailureReason {
  const code = replyCode(thrown);
  return code === 404 ? "exchange_not_found" : code === undefined ? "error" : "refused";
}
