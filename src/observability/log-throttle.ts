import type { Logger } from "pino";

/**
 * Keeps a repeated problem from flooding the log: the first occurrence of a key is logged, then at
 * most one line per `windowMs` that says how many were suppressed meanwhile.
 */
export class LogThrottle {
  private readonly seen = new Map<string, { lastAt: number; suppressed: number }>();

  constructor(
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns the number of suppressed repeats to report, or `undefined` when this one stays silent. */
  admit(key: string): number | undefined {
    const at = this.now();
    const entry = this.seen.get(key);
    if (!entry) {
      this.seen.set(key, { lastAt: at, suppressed: 0 });
      if (this.seen.size > 1000) this.seen.delete(this.seen.keys().next().value as string);
      return 0;
    }
    if (at - entry.lastAt < this.windowMs) {
      entry.suppressed += 1;
      return undefined;
    }
    const suppressed = entry.suppressed;
    entry.lastAt = at;
    entry.suppressed = 0;
    return suppressed;
  }

  warn(log: Logger, key: string, fields: object, message: string): void {
    this.write(log, "warn", key, fields, message);
  }

  error(log: Logger, key: string, fields: object, message: string): void {
    this.write(log, "error", key, fields, message);
  }

  private write(log: Logger, level: "warn" | "error", key: string, fields: object, message: string): void {
    const suppressed = this.admit(key);
    if (suppressed === undefined) return;
    log[level](
      suppressed > 0 ? { ...fields, suppressed } : fields,
      suppressed > 0 ? `${message} (${suppressed} similar suppressed)` : message,
    );
  }
}
