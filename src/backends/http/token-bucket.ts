import type { ProxyRateLimit } from "../../config/http-backend-types.js";

/**
 * `qos/ratelimit/proxy` of one backend: a bucket of `capacity` tokens (full at start), refilled with
 * `maxRate` tokens every `everyMs`; each request takes one. Where KrakenD fails a request over the
 * limit (which an agent turns into a nack and an immediate redelivery), this one waits for its token.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: ProxyRateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limit.capacity;
    this.last = now();
  }

  /** Milliseconds to wait before one more request may go; takes its token (the count may go negative). */
  reserve(): number {
    const { maxRate, capacity, everyMs } = this.limit;
    const at = this.now();
    this.tokens = Math.min(capacity, this.tokens + ((at - this.last) * maxRate) / everyMs);
    this.last = at;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * everyMs) / maxRate;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (the timer cleared either way). */
export function waitUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
