/** KrakenD's `backoff_strategy` values. */
export const BACKOFF_STRATEGIES = [
  "linear",
  "linear-jitter",
  "exponential",
  "exponential-jitter",
  "fallback",
] as const;

export type BackoffStrategy = (typeof BACKOFF_STRATEGIES)[number];

/** Longest reconnect delay; KrakenD has none, but 2^i seconds without a cap means hours. */
export const MAX_RECONNECT_DELAY_MS = 60_000;

/**
 * KrakenD's reconnect delay before attempt `index` (0-based): linear i s, exponential 2^i s, the
 * `-jitter` variants ±33%, `fallback` a constant 1 s. `random` returns a number in [0, 1).
 */
export function reconnectDelayMs(
  strategy: BackoffStrategy,
  index: number,
  random: () => number = Math.random,
): number {
  const jitter = (ms: number) => ms * (1 + (random() * 2 - 1) * 0.33);
  let ms: number;
  switch (strategy) {
    case "linear":
      ms = index * 1000;
      break;
    case "linear-jitter":
      ms = jitter(index * 1000);
      break;
    case "exponential":
      ms = 2 ** index * 1000;
      break;
    case "exponential-jitter":
      ms = jitter(2 ** index * 1000);
      break;
    default:
      ms = 1000;
  }
  return Math.round(Math.min(MAX_RECONNECT_DELAY_MS, Math.max(0, ms)));
}

export interface RetryBackoff {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { baseMs: 200, maxMs: 5_000 };

/**
 * Delay before invocation retry `attempt` (1 = the first retry): exponential with "equal jitter",
 * so a retry never comes sooner than half the exponential step and never later than `maxMs`.
 */
export function retryDelayMs(
  attempt: number,
  backoff = DEFAULT_RETRY_BACKOFF,
  random: () => number = Math.random,
): number {
  const step = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
