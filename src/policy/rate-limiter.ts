import { delay } from "../shared/delay.js";

/**
 * A token bucket shared by all workers of one agent: `ratePerSecond` messages per second with a
 * burst of one second's worth. A rate of 0 means unlimited.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = Math.max(1, ratePerSecond);
    this.last = now();
  }

  /** Milliseconds to wait before `count` messages may go; takes the tokens (possibly going negative). */
  reserve(count: number): number {
    if (this.ratePerSecond <= 0) return 0;
    const at = this.now();
    const capacity = Math.max(1, this.ratePerSecond);
    this.tokens = Math.min(capacity, this.tokens + ((at - this.last) / 1000) * this.ratePerSecond);
    this.last = at;
    this.tokens -= count;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.ratePerSecond) * 1000;
  }

  async acquire(count: number, signal?: AbortSignal): Promise<void> {
    const waitMs = this.reserve(count);
    if (waitMs > 0) await delay(waitMs, signal);
  }
}
