import type { CircuitBreakerConfig } from "../config/types.js";

export type CircuitState = "closed" | "open" | "half_open";
export const CIRCUIT_STATES: readonly CircuitState[] = ["closed", "open", "half_open"];

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

  constructor(
    private readonly config: CircuitBreakerConfig,
    private readonly now: () => number = () => performance.now(),
    private readonly onChange: (state: CircuitState, reason: string) => void = () => undefined,
  ) {
    this.probeIntervalMs = config.probeIntervalMs;
  }

  get state(): CircuitState {
    return this.current;
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
    if (this.current === "open") this.change("half_open", "probing with one invocation");
  }

  /** An invocation succeeded for these messages. */
  recordSuccess(messageIds: readonly number[]): void {
    this.consecutiveSystemic = 0;
    const at = this.now();
    for (const id of messageIds) this.recent.set(id, { failed: false, at });
    if (this.current !== "closed") {
      this.probeIntervalMs = this.config.probeIntervalMs;
      this.change("closed", "an invocation succeeded");
    }
  }

  /**
   * An invocation failed with a platform error. `evidence` is false for a throttle that says nothing
   * new (the call started before the concurrency was last lowered).
   */
  recordSystemic(reason: string, evidence = true): void {
    if (this.probeFailed(reason)) return;
    if (!evidence) return;
    this.consecutiveSystemic += 1;
    if (this.current === "closed" && this.consecutiveSystemic >= this.config.failureThreshold) {
      this.open(`${this.consecutiveSystemic} invocations in a row failed: ${reason}`);
    }
  }

  /** Function errors or timeouts for these messages. */
  recordFunctionErrors(messageIds: readonly number[], reason: string): void {
    if (this.probeFailed(reason)) return;
    const at = this.now();
    for (const id of messageIds) this.recent.set(id, { failed: true, at });
    if (this.current !== "closed") return;
    const { failed, total } = this.windowCounts(at);
    if (total >= this.config.functionErrorMinMessages && failed >= total * this.config.functionErrorRatio) {
      this.open(
        `function errors on ${failed} of ${total} messages within ${this.config.windowMs}ms: ${reason}`,
      );
    }
  }

  /**
   * An invocation that says nothing about the platform (the probe's message was bad on its own, or
   * its channel closed): a probe is tried again at once with another message.
   */
  recordInconclusive(): void {
    if (this.current !== "half_open") return;
    this.nextProbeAt = this.now();
    this.change("open", "the probe was inconclusive; probing again");
  }

  private probeFailed(reason: string): boolean {
    if (this.current !== "half_open") return false;
    this.probeIntervalMs = Math.min(this.config.maxProbeIntervalMs, this.probeIntervalMs * 2);
    this.nextProbeAt = this.now() + this.probeIntervalMs;
    this.change("open", `the probe failed: ${reason}`);
    return true;
  }

  private open(reason: string): void {
    if (!this.config.enabled) return;
    this.openedAt = this.now();
    this.nextProbeAt = this.openedAt + this.probeIntervalMs;
    this.consecutiveSystemic = 0;
    this.recent.clear();
    this.change("open", reason);
  }

  private windowCounts(at: number): { failed: number; total: number } {
    let failed = 0;
    for (const [id, entry] of this.recent) {
      if (at - entry.at > this.config.windowMs) {
        this.recent.delete(id);
        continue;
      }
      if (entry.failed) failed += 1;
    }
    return { failed, total: this.recent.size };
  }

  private change(state: CircuitState, reason: string): void {
    this.current = state;
    this.onChange(state, reason);
  }
}
