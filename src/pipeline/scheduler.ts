import type { Backend } from "../backends/backend.js";
import type { ReplyConfig } from "../config/types.js";
import { toError } from "../errors.js";
import type { HeldMessage } from "../held/held-message.js";
import { HeldMessages, type PhaseCounts } from "../held/held-messages.js";
import type { Logger } from "../observability/logger.js";
import type { AgentMetrics } from "../observability/metrics.js";
import type { CircuitBreaker } from "../policy/circuit-breaker.js";
import type { ConcurrencyLimit } from "../policy/concurrency-limit.js";
import { type Decision, finishesHeldWork, type Happening, type Policy } from "../policy/decide.js";
import { learnFromCall } from "../policy/platform-evidence.js";
import type { ReplySender } from "../settle/reply-sender.js";
import type { Settler } from "../settle/settler.js";
import type { BatchReport } from "./batch-run.js";
import { type CallContext, Fates } from "./fates.js";
import { IdleSignal } from "./idle-signal.js";

export interface SchedulerOptions {
  backend: Backend;
  policy: Policy;
  breaker: CircuitBreaker;
  limit: ConcurrencyLimit;
  settler: Settler;
  /** Runs one batch through the backend (`runBatch` with the agent's rate limit and metrics). */
  run(batch: readonly HeldMessage[]): Promise<BatchReport>;
  workers: number;
  metrics: AgentMetrics;
  log: Logger;
  /** The number of held messages changed (auto_ack back-pressure). */
  onHeldChange(held: number): void;
  /** A circuit-breaker probe is due and no message is held to probe with. */
  onProbeStarved(): void;
  now?: () => number;
  /** `reply`, and its publisher (the breaker's probe while replies fail). */
  reply?: ReplyConfig | undefined;
  replies?: ReplySender | undefined;
}

/**
 * Decides what runs next and carries out the decisions about held messages. Batches go when full,
 * when their oldest message has waited `batch_window`, or when draining; at most `workers` at once
 * (fewer while the backend throttles), none while the circuit breaker is open except one probe.
 * After a call each message's fate comes from `decide`: retried here after a backoff, or settled
 * through the settler. Ordering lanes keep a key's messages in order.
 */
export class Scheduler {
  private readonly held = new HeldMessages();
  private runningBatches = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private draining = false;
  private readonly idle = new IdleSignal(() => this.held.size === 0);
  private readonly now: () => number;
  private readonly fates: Fates;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? (() => performance.now());
    this.fates = new Fates({
      ...options,
      held: this.held,
      now: this.now,
      draining: () => this.draining,
      onDone: () => {
        this.changed();
        this.idle.check();
        this.pump();
      },
    });
  }

  /** The decision for a message as things stand (the settler asks again when a copy fails). */
  decide(held: HeldMessage, happening: Happening): Decision {
    return this.fates.decide(held, happening);
  }

  get heldCount(): number {
    return this.held.size;
  }

  /** Messages in a backend call or being settled right now. */
  get inFlight(): number {
    return this.held.inFlight;
  }

  phaseCounts = (): PhaseCounts => this.held.phaseCounts();

  get oldestReceivedAt(): number | undefined {
    return this.held.oldestReceivedAt();
  }

  laneWaits = (): { lanes: number; oldestWaitMs: number } => this.held.laneWaits(this.now());

  /** A message arrived: it waits for its batch, or (filtered, arriving while stopping) is settled at once. */
  admit(held: HeldMessage, happening?: Happening): void {
    this.held.add(held);
    this.changed();
    if (happening) this.fates.apply(held, happening);
    this.pump();
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

  /** Asks for every waiting message to go back to the broker (a long circuit-breaker opening). Returns how many went. */
  giveBackWaiting(): number {
    return this.fates.applyToWaiting(() => true, { kind: "give_back_requested" });
  }

  /** The channel of some waiting messages closed: the broker redelivers them. Returns how many. */
  channelLost(): number {
    return this.fates.applyToWaiting((held) => !held.session.alive, { kind: "channel_lost" });
  }

  /** After a drain timeout: what still waits will not be finished. Returns how many are still held. */
  drainTimedOut(): number {
    const inFlight = this.held.inFlight;
    const waiting = this.fates.applyToWaiting(() => true, { kind: "drain_timeout" });
    this.options.replies?.abandon();
    clearTimeout(this.timer);
    return waiting + inFlight;
  }

  /** Resolves when nothing is held, or after `timeoutMs`; true when idle. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    return this.idle.wait(timeoutMs);
  }

  /** Starts what may start now; arms a timer for what may start later. */
  pump(): void {
    const { workers, breaker, limit, backend, policy } = this.options;
    const now = this.now();
    while (this.runningBatches < Math.min(workers, limit.limit)) {
      if (this.draining && !finishesHeldWork(policy)) return;
      const gate = breaker.admits();
      if (gate === "no") {
        if (breaker.state === "open") this.armTimer(breaker.probeDueAt);
        return;
      }
      if (gate === "probe") {
        if (this.options.replies?.wantsProbe) return; // opened by replies: a reply publish probes
        const probe = this.held.selectProbe(now);
        if (!probe) {
          const next = this.held.nextReadyAt(now);
          if (next !== undefined) this.armTimer(next);
          else this.options.onProbeStarved();
          return;
        }
        probe.probedAt = now;
        breaker.startProbe();
        this.startBatch([probe], true);
        return;
      }
      const batch = this.held.select({
        now,
        maxMessages: backend.batchSize,
        maxBytes: backend.maxBatchBytes,
        sizeOf: (held) => backend.sizeOf(held),
      });
      const first = batch[0];
      if (!first) {
        const next = this.held.nextReadyAt(now);
        if (next !== undefined) this.armTimer(next);
        return;
      }
      const windowEnds = first.delivery.receivedAt + backend.batchWindowMs;
      if (batch.length < backend.batchSize && !this.draining && now < windowEnds) {
        this.armTimer(windowEnds);
        return;
      }
      this.startBatch(batch, false);
    }
  }

  private startBatch(batch: HeldMessage[], probe: boolean): void {
    const { metrics, log } = this.options;
    const context = this.fates.context(probe);
    this.held.start(batch);
    this.runningBatches += 1;
    metrics.inFlight.set(this.held.inFlight);
    this.options
      .run(batch)
      .then(
        (report) => this.onReport(batch, report, context),
        (thrown: unknown) => {
          log.error(
            { err: toError(thrown), traceId: batch[0]?.trace?.traceId },
            "a backend call failed unexpectedly; its messages go back to the queue",
          );
          for (const held of batch) if (held.phase === "running") this.fates.apply(held, { kind: "crashed" });
        },
      )
      .finally(() => {
        this.runningBatches -= 1;
        metrics.inFlight.set(this.held.inFlight);
        this.pump();
      });
  }

  private onReport(batch: readonly HeldMessage[], report: BatchReport, context: CallContext): void {
    const { breaker, limit, metrics } = this.options;
    const fresh = new Set(batch.filter((held) => held.fresh).map((held) => held.id));
    const probed = context.probe ? batch[0] : undefined;
    const repeat = probed?.failedAProbe ?? false;
    if (probed && report.happenings.get(probed)?.kind === "failed") probed.probeFailures += 1;
    for (const held of batch) {
      const decision = this.fates.apply(held, report.happenings.get(held) ?? { kind: "crashed" }, context);
      // A failure the broker retries later (a retry queue) costs nothing now: no news of an outage.
      if (decision.step.do === "retry_queue") fresh.delete(held.id);
    }
    learnFromCall(
      {
        call: report.call,
        happenings: report.happenings,
        fresh: (message) => fresh.has(message.id),
        probe: context.probe ? { repeat } : undefined,
      },
      breaker,
      limit,
    );
    metrics.concurrencyLimit.set(limit.limit);
  }

  private changed(): void {
    this.options.metrics.held.set(this.held.size);
    this.options.onHeldChange(this.held.size);
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
      Math.max(0, at - this.now()),
    );
  }
}
