import type { Backend, Failure } from "../backends/backend.js";
import type { ReplyConfig } from "../config/types.js";
import { replyOf } from "../copies/reply-message.js";
import { toError } from "../errors.js";
import type { HeldMessage } from "../held/held-message.js";
import type { HeldMessages } from "../held/held-messages.js";
import type { Logger } from "../observability/logger.js";
import type { AgentMetrics } from "../observability/metrics.js";
import type { CircuitBreaker, CircuitState } from "../policy/circuit-breaker.js";
import { type Decision, decide, type Happening, type Policy } from "../policy/decide.js";
import type { Settler } from "../settle/settler.js";
import { traceIdOf } from "../tracing/index.js";

/** How things stood when a call started: its messages are judged by that. */
export interface CallContext {
  probe: boolean;
  breaker: CircuitState;
  openedBy: "platform_failures" | "function_errors" | undefined;
}

export interface FatesOptions {
  held: HeldMessages;
  /** Told when a message is no longer held (what it keeps for the message may go). */
  backend: Pick<Backend, "released">;
  policy: Policy;
  breaker: CircuitBreaker;
  settler: Settler;
  metrics: AgentMetrics;
  log: Logger;
  now: () => number;
  draining(): boolean;
  /** A message is no longer held (its settlement ended). */
  onDone(): void;
  /** `reply` of the agent: a message that succeeded gets its reply before its ack. */
  reply?: ReplyConfig | undefined;
}

/**
 * Carries out `decide` for held messages: a retry waits again in the held messages (charged or
 * not), every other step goes to the settler, and the message is done when its settlement ends.
 */
export class Fates {
  constructor(private readonly options: FatesOptions) {}

  /** The decision for one message, carried out: a retry waits here, anything else is settled. */
  apply(held: HeldMessage, happening: Happening, context?: CallContext): Decision {
    const { reply } = this.options;
    if (reply && happening.kind === "succeeded" && happening.response) {
      const { message, origin } = held;
      const trace = held.trace?.copyHeaders(held.traceIndex);
      held.reply = replyOf(reply, { message, origin, response: happening.response, trace });
    }
    const decision = this.decide(held, happening, context);
    if (decision.charge === "attempt") held.attempts += 1;
    else if (decision.charge === "setback") held.setbacks += 1;
    if (decision.maxBatch !== undefined) held.maxBatch = decision.maxBatch;
    const { step } = decision;
    if (step.do === "retry") {
      if (decision.charge === "attempt") this.options.metrics.retried.inc();
      held.readyAt = this.options.now() + step.delayMs;
      if (held.phase === "running") this.options.held.putBack(held);
    } else if (step.do !== "keep") {
      this.settle(held, decision, happening.kind === "failed" ? happening.failure : undefined);
    }
    return decision;
  }

  /** The decision for a message as things stand (the settler asks again when a copy fails). */
  decide(held: HeldMessage, happening: Happening, context = this.context(false)): Decision {
    return decide(
      happening,
      {
        attempts: held.attempts,
        setbacks: held.setbacks,
        retryRound: held.retry.round,
        maxBatch: held.maxBatch,
        ...context,
        ordered: held.lane !== undefined,
        draining: this.options.draining(),
        channelAlive: held.session.alive,
        replyDue: held.reply !== undefined,
        replyFailures: held.replyFailures,
      },
      this.options.policy,
    );
  }

  context(probe: boolean): CallContext {
    const { breaker } = this.options;
    const cause = breaker.openReason?.cause;
    const openedBy = cause === "platform_failures" || cause === "function_errors" ? cause : undefined;
    return { probe, breaker: breaker.state, openedBy };
  }

  private settle(held: HeldMessage, decision: Decision, failure: Failure | undefined): void {
    this.options.held.beginSettling(held);
    this.options.settler
      .settle(held, decision, failure)
      .catch((thrown: unknown) =>
        this.options.log.error(
          { err: toError(thrown), traceId: traceIdOf(held.trace?.copyHeaders(held.traceIndex)) },
          "settling a message failed; the broker redelivers it",
        ),
      )
      .finally(() => {
        this.options.held.finish(held);
        this.options.backend.released?.(held);
        this.options.onDone();
      });
  }

  /** Applies one happening to every waiting message that matches; returns how many were settled. */
  applyToWaiting(match: (held: HeldMessage) => boolean, happening: Happening): number {
    let settled = 0;
    for (const held of this.options.held.waitingWhere(match)) {
      this.apply(held, happening);
      if (held.phase !== "waiting") settled += 1;
    }
    return settled;
  }
}
