import { retryDelayMs } from "../backoff.js";
import type { AgentConfig } from "../config/types.js";
import { toError } from "../errors.js";
import type { EventEnvelope } from "../lambda/event-bytes.js";
import { MAX_SYNC_PAYLOAD_BYTES } from "../lambda/invoke/index.js";
import type { Logger } from "../observability/logger.js";
import type { AgentMetrics } from "../observability/metrics.js";
import type { CircuitBreaker } from "./circuit-breaker.js";
import type { ConcurrencyLimit } from "./concurrency-limit.js";
import type { Held } from "./delivery.js";
import { failureScope } from "./failure.js";
import { HeldMessages } from "./held-messages.js";
import type { Invocation, InvocationReport, MessageResult } from "./invocation.js";
import { canGiveBack, type Finish, finishAfterChannelLoss } from "./settlement.js";
import type { Settler } from "./settler.js";

export interface DispatcherHooks {
  /** The number of held messages changed (metrics, auto_ack back-pressure). */
  onHeldChange(): void;
  /** A circuit-breaker probe is due and no message is held to probe with. */
  onProbeStarved(): void;
}

/**
 * Decides what runs next and what happens after. Batches go when full, when their oldest message
 * has waited `batch_window`, or when draining; at most `workers` at once (fewer while Lambda
 * throttles), none while the circuit breaker is open except one probe. After an invocation each
 * message is settled, retried after a backoff (charged as an attempt only for its own failures), or
 * held without charge while the platform fails. Ordering lanes keep a key's messages in order.
 */
export class Dispatcher {
  private readonly held = new HeldMessages();
  private runningBatches = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly config: AgentConfig,
    private readonly invocation: Invocation,
    private readonly envelope: EventEnvelope,
    private readonly settler: Settler,
    private readonly breaker: CircuitBreaker,
    private readonly limit: ConcurrencyLimit,
    private readonly metrics: AgentMetrics,
    private readonly log: Logger,
    private readonly hooks: DispatcherHooks,
  ) {}

  /** Messages received and not yet settled. */
  get heldCount(): number {
    return this.held.size;
  }

  /** Messages in an invocation (or being settled) right now. */
  get inFlight(): number {
    return this.held.runningCount;
  }

  get oldestReceivedAt(): number | undefined {
    return this.held.oldestReceivedAt();
  }

  laneWaits(): { lanes: number; oldestWaitMs: number } {
    return this.held.laneWaits(performance.now());
  }

  push(held: Held): void {
    this.held.add(held);
    this.changed();
    this.pump();
  }

  /** A message that never joins a batch (filtered): settled at once, counted as held meanwhile. */
  settleNow(held: Held, finish: Finish): void {
    this.held.add(held);
    this.held.start([held]);
    this.changed();
    this.finishWith(held, finish);
  }

  /**
   * From now on nothing new starts except, with `auto_ack`, the messages the agent must finish. Not
   * yet invoked messages are handed back. Resolves true when everything is settled, false at the deadline.
   */
  drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    this.giveBackWaiting();
    this.pump();
    return this.whenIdle(timeoutMs);
  }

  /** Hands every waiting message back to the broker (a long circuit-breaker opening). Returns how many. */
  giveBackWaiting(): number {
    if (!canGiveBack(this.config.amqp)) return 0;
    const waiting = this.held.takeWaiting();
    for (const held of waiting) this.finishWith(held, { outcome: "give_back" });
    return waiting.length;
  }

  /** Drops waiting messages of a closed channel: the broker redelivers them. Returns how many. */
  dropDead(): number {
    if (finishAfterChannelLoss(this.config.amqp)) return 0;
    const dead = this.held.takeWaiting((held) => !held.delivery.session.alive);
    if (dead.length > 0) {
      this.settler.unsettled(dead.length);
      this.changed();
      this.notifyIdle();
    }
    return dead.length;
  }

  /** After a drain timeout: what is still held will not be finished (with `auto_ack`, it is lost). */
  leaveUnfinished(): number {
    const left = this.held.takeWaiting();
    if (left.length > 0) {
      if (!canGiveBack(this.config.amqp)) this.metrics.lost.inc(left.length);
      else this.settler.unsettled(left.length);
    }
    clearTimeout(this.timer);
    return left.length + this.held.runningCount;
  }

  /** Resolves when nothing is held, or after `timeoutMs`; true when idle. */
  async whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.held.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return result;
  }

  /** Starts what may start now; arms a timer for what may start later. */
  pump(): void {
    const { workers } = this.config.consumer;
    const now = performance.now();
    while (this.runningBatches < Math.min(workers, this.limit.limit)) {
      if (this.draining && canGiveBack(this.config.amqp)) return;
      const gate = this.breaker.admits();
      if (gate === "no") {
        if (this.breaker.state === "open") this.armTimer(this.breaker.probeDueAt);
        return;
      }
      if (gate === "probe") {
        const probe = this.held.selectProbe(now);
        if (!probe) {
          const next = this.held.nextReadyAt(now);
          if (next !== undefined) this.armTimer(next);
          else this.hooks.onProbeStarved();
          return;
        }
        probe.probedAt = now;
        this.breaker.startProbe();
        this.startBatch([probe], true);
        return;
      }
      const batch = this.held.select({
        now,
        maxMessages: this.config.lambda.batchSize,
        maxBytes: MAX_SYNC_PAYLOAD_BYTES - this.envelope.head.byteLength - this.envelope.tail.byteLength,
        sizeOf: (held) => this.invocation.sizeOf(held),
      });
      const first = batch[0];
      if (!first) {
        const next = this.held.nextReadyAt(now);
        if (next !== undefined) this.armTimer(next);
        return;
      }
      const windowEnds = first.delivery.receivedAt + this.config.lambda.batchWindowMs;
      if (batch.length < this.config.lambda.batchSize && !this.draining && now < windowEnds) {
        this.armTimer(windowEnds);
        return;
      }
      this.startBatch(batch, false);
    }
  }

  private startBatch(batch: Held[], probe: boolean): void {
    this.held.start(batch);
    this.runningBatches += 1;
    this.metrics.inFlight.set(this.held.runningCount);
    this.invocation
      .run(batch)
      .then(
        (report) => this.onReport(batch, report, probe),
        (thrown: unknown) => {
          // Not expected (Invocation never throws); still, no message may stay unsettled.
          this.log.error(
            { err: toError(thrown) },
            "an invocation failed unexpectedly; its messages go back to the queue",
          );
          for (const held of batch) this.finishWith(held, { outcome: "give_back" });
        },
      )
      .finally(() => {
        this.runningBatches -= 1;
        this.metrics.inFlight.set(this.held.runningCount);
        this.pump();
      });
  }

  private onReport(batch: readonly Held[], report: InvocationReport, probe: boolean): void {
    if (report.call) this.observeCall(report, probe);
    else if (probe) this.breaker.recordInconclusive();
    const now = performance.now();
    const failedLanes = new Set<string>();
    for (const held of batch) {
      let result = report.results.get(held) ?? { kind: "dead_channel" };
      if (held.lane !== undefined) {
        // SQS FIFO's rule: after a failure, later messages of the key in the batch did not count.
        if (failedLanes.has(held.lane)) result = { kind: "not_delivered" };
        else if (result.kind !== "succeeded") failedLanes.add(held.lane);
      }
      this.handle(held, result, batch.length, now);
    }
  }

  private handle(held: Held, result: MessageResult, batchSize: number, now: number): void {
    switch (result.kind) {
      case "succeeded":
        this.finishWith(held, { outcome: "succeeded" });
        return;
      case "dead_channel":
        this.settler.unsettled();
        this.done(held);
        return;
      case "not_delivered":
        this.retryAt(held, now);
        return;
      case "split":
        held.maxBatch = Math.max(1, Math.ceil(Math.min(held.maxBatch, batchSize) / 2));
        this.retryAt(held, now);
        return;
      case "failed": {
        if (result.scope === "message") {
          held.attempts += 1;
          this.finishWith(held, { outcome: "failed", failure: result.failure, permanent: true });
          return;
        }
        const charged = result.scope === "ambiguous" && this.breaker.state === "closed";
        if (!charged) {
          held.setbacks += 1;
          const backoff = this.breaker.state === "closed" ? retryDelayMs(held.setbacks) : 0;
          this.retryAt(held, now + backoff);
          return;
        }
        held.attempts += 1;
        if (held.attempts > this.config.lambda.maxRetries) {
          this.finishWith(held, { outcome: "failed", failure: result.failure, permanent: false });
          return;
        }
        this.metrics.retried.inc();
        this.retryAt(held, now + retryDelayMs(held.attempts));
        return;
      }
    }
  }

  /** Feeds the circuit breaker and the concurrency limit with what the Invoke call said. */
  private observeCall(report: InvocationReport, probe: boolean): void {
    const call = report.call;
    if (!call) return;
    const { outcome, startedAt } = call;
    const succeeded: number[] = [];
    const failed: number[] = [];
    for (const [held, result] of report.results) {
      if (result.kind === "succeeded") succeeded.push(held.id);
      else if (result.kind === "failed" && result.scope === "ambiguous") failed.push(held.id);
    }
    if (outcome.kind === "ok") {
      this.limit.succeeded();
      // Items reported failed (or a response that fails the batch) count per message.
      if (failed.length > 0) this.breaker.recordFunctionErrors(failed, "items reported as failed", probe);
      if (succeeded.length > 0) this.breaker.recordSuccess(succeeded);
      else if (failed.length === 0) this.breaker.recordInconclusive(probe);
      return;
    }
    const scope = failureScope(outcome);
    const reason = `${outcome.errorType}${outcome.reason ? ` (${outcome.reason})` : ""}`;
    if (scope === "systemic") {
      const evidence = outcome.kind === "throttled" ? this.limit.throttled(startedAt) : true;
      this.metrics.concurrencyLimit.set(this.limit.limit);
      this.breaker.recordSystemic(reason, evidence, probe);
    } else if (scope === "ambiguous") {
      // The whole invocation failed (thrown, timed out): one piece of evidence, whatever the batch size.
      this.breaker.recordFunctionErrors(failed.slice(0, 1), reason, probe);
    } else {
      this.breaker.recordInconclusive(probe);
    }
  }

  /** Waits again for its turn (retry backoff, smaller batch), unless its channel is gone or the agent stops. */
  private retryAt(held: Held, readyAt: number): void {
    if (!finishAfterChannelLoss(this.config.amqp) && !held.delivery.session.alive) {
      this.settler.unsettled();
      this.done(held);
      return;
    }
    if (this.draining && canGiveBack(this.config.amqp)) {
      this.finishWith(held, { outcome: "give_back" });
      return;
    }
    held.readyAt = readyAt;
    this.held.putBack(held);
  }

  private finishWith(held: Held, finish: Finish): void {
    this.settler
      .settle(held, finish)
      .catch((thrown: unknown) =>
        this.log.error({ err: toError(thrown) }, "settling a message failed; the broker redelivers it"),
      )
      .finally(() => this.done(held));
  }

  private done(held: Held): void {
    this.held.finish(held);
    this.changed();
    this.notifyIdle();
    this.pump();
  }

  private changed(): void {
    this.metrics.held.set(this.held.size);
    this.hooks.onHeldChange();
  }

  private armTimer(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, at - performance.now()),
    );
  }

  private notifyIdle(): void {
    if (this.held.size > 0) return;
    const waiters = this.idleWaiters.splice(0);
    for (const resolve of waiters) resolve();
  }
}
