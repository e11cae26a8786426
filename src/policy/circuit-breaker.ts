import type { CircuitBreakerConfig } from "../config/types.js";

export type CircuitState = "closed" | "open" | "half_open";
export const CIRCUIT_STATES: readonly CircuitState[] = ["closed", "open", "half_open"];

/** Why the breaker moved. */
export type CircuitCause =
  /** `failure_threshold` consecutive platform failures. */
  | "platform_failures"
  /** Function errors or timeouts on too many different messages. */
  | "function_errors"
  | "probe_started"
  | "probe_failed"
  | "probe_inconclusive"
  | "succeeded";

/** Whose failures count: the backend's invocations, or the publishes of the function's replies. */
export type FailureSource = "backend" | "replies";

/** What opened the breaker. */
export interface OpenReason {
  cause: CircuitCause;
  detail: string;
  source: FailureSource;
}

/** What one platform failure says, beside its reason (each defaulted as for an invocation). */
export interface SystemicFailure {
  /** False for a throttle that says nothing new (the call started before the concurrency was last lowered). */
  evidence?: boolean;
  /** It was the probe: while half-open, only the probe's result counts (an older call failing late says nothing new). */
  probe?: boolean;
  /** Whose failure it was ("backend" by default); the one that reaches the threshold is the opening's source. */
  source?: FailureSource;
}

/** A transition, as the breaker reports it: never text to be parsed. */
export interface CircuitTransition {
  from: CircuitState;
  to: CircuitState;
  cause: CircuitCause;
  /** What was seen, for people (the error type, the counts). */
  detail: string;
}

/**
 * The agent's circuit breaker. It opens on evidence that the platform, not the messages, is failing:
 * `failureThreshold` consecutive invocations failed with a systemic error (throttling counts only
 * when it persists after the concurrency was lowered), or function errors / timeouts on at least
 * `functionErrorRatio` of at least `functionErrorMinMessages` different messages within `windowMs`.
 * Open, it lets one probe invocation through after `probeIntervalMs` (doubling up to
 * `maxProbeIntervalMs`) and closes on the first success. Pure: time comes from `now`.
 */
export class CircuitBreaker {
  private current: CircuitState = "closed";
  private consecutiveSystemic = 0;
  private probeIntervalMs: number;
  private nextProbeAt = 0;
  private openedAt = 0;
  /** Latest outcome per message within the window: true = failed. */
  private readonly recent = new Map<number, { failed: boolean; at: number }>();
  private prunedAt = 0;
  private openedBy: OpenReason | undefined;

  constructor(
    private readonly config: CircuitBreakerConfig,
    private readonly now: () => number = () => performance.now(),
    private readonly onChange: (transition: CircuitTransition) => void = () => undefined,
  ) {
    this.probeIntervalMs = config.probeIntervalMs;
  }

  get state(): CircuitState {
    return this.current;
  }

  /** What opened the breaker, while it is not closed. */
  get openReason(): OpenReason | undefined {
    return this.current === "closed" ? undefined : this.openedBy;
  }

  /** When the breaker opened (performance.now() ms); meaningful while it is not closed. */
  get openSince(): number {
    return this.openedAt;
  }

  /** Whether a new invocation may start now (closed), or a probe (open and due). */
  admits(): "yes" | "probe" | "no" {
    if (!this.config.enabled || this.current === "closed") return "yes";
    if (this.current === "open" && this.now() >= this.nextProbeAt) return "probe";
    return "no";
  }

  /** When the next probe is due, while open. */
  get probeDueAt(): number {
    return this.nextProbeAt;
  }

  /** A probe invocation starts: open → half_open. */
  startProbe(): void {
    if (this.current === "open") this.change("half_open", "probe_started", "probing with one invocation");
  }

  /** An invocation succeeded for these messages (any success closes the breaker: the platform works). */
  recordSuccess(messageIds: readonly number[]): void {
    this.consecutiveSystemic = 0;
    const at = this.now();
    for (const id of messageIds) this.recent.set(id, { failed: false, at });
    this.prune(at);
    if (this.current !== "closed") {
      this.probeIntervalMs = this.config.probeIntervalMs;
      this.change("closed", "succeeded", "an invocation succeeded");
    }
  }

  /** A platform failure: what it says about the platform, and whose it was. */
  recordSystemic(
    reason: string,
    { evidence = true, probe = false, source = "backend" }: SystemicFailure = {},
  ): void {
    if (this.current === "half_open") {
      if (probe) this.probeFailed(reason);
      return;
    }
    if (!evidence) return;
    this.consecutiveSystemic += 1;
    if (this.current === "closed" && this.consecutiveSystemic >= this.config.failureThreshold) {
      const what = source === "replies" ? "calls" : "invocations";
      this.open(
        "platform_failures",
        `${this.consecutiveSystemic} ${what} in a row failed: ${reason}`,
        source,
      );
    }
  }

  /**
   * Function errors or timeouts. `evidence` names what failed: each message of a partial batch
   * failure, or one message for an invocation that failed as a whole (one thrown batch is one piece
   * of evidence, not `batch_size` pieces). For a probe, `repeat` says its message had failed a probe
   * before: while open on function errors, probes keep `probe_interval` until they come round to
   * such a message (a poison burst is crossed in one round); only then does the interval double.
   */
  recordFunctionErrors(evidence: readonly number[], reason: string, probe = false, repeat = true): void {
    if (this.current === "half_open") {
      if (probe) this.probeFailed(reason, this.openedBy?.cause === "function_errors" && !repeat);
      return;
    }
    const at = this.now();
    for (const id of evidence) this.recent.set(id, { failed: true, at });
    if (this.current !== "closed") return;
    this.prune(at, true);
    const { failed, total } = this.windowCounts();
    if (total >= this.config.functionErrorMinMessages && failed >= total * this.config.functionErrorRatio) {
      this.open(
        "function_errors",
        `function errors on ${failed} of ${total} messages within ${this.config.windowMs}ms: ${reason}`,
      );
    }
  }

  /**
   * An invocation that says nothing about the platform (the probe's message was bad on its own, or
   * its channel closed): a probe is tried again at once with another message.
   */
  recordInconclusive(probe = true): void {
    if (this.current !== "half_open" || !probe) return;
    this.nextProbeAt = this.now();
    this.change("open", "probe_inconclusive", "the probe was inconclusive; probing again");
  }

  private probeFailed(reason: string, keepInterval = false): void {
    if (!keepInterval) {
      this.probeIntervalMs = Math.min(this.config.maxProbeIntervalMs, this.probeIntervalMs * 2);
    }
    this.nextProbeAt = this.now() + this.probeIntervalMs;
    this.change("open", "probe_failed", `the probe failed: ${reason}`);
  }

  private open(cause: CircuitCause, reason: string, source: FailureSource = "backend"): void {
    if (!this.config.enabled) return;
    this.openedBy = { cause, detail: reason, source };
    this.openedAt = this.now();
    this.nextProbeAt = this.openedAt + this.probeIntervalMs;
    this.consecutiveSystemic = 0;
    this.recent.clear();
    this.change("open", cause, reason);
  }

  /** Forgets outcomes older than the window (at most twice per window, unless `force`). */
  private prune(at: number, force = false): void {
    if (!force && at - this.prunedAt < this.config.windowMs / 2) return;
    this.prunedAt = at;
    for (const [id, entry] of this.recent) {
      if (at - entry.at > this.config.windowMs) this.recent.delete(id);
    }
  }

  private windowCounts(): { failed: number; total: number } {
    let failed = 0;
    for (const entry of this.recent.values()) if (entry.failed) failed += 1;
    return { failed, total: this.recent.size };
  }

  private change(to: CircuitState, cause: CircuitCause, detail: string): void {
    const from = this.current;
    this.current = to;
    this.onChange({ from, to, cause, detail });
  }
}
