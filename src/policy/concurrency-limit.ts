/**
 * How many invocations may run at once, adapted to throttling (AIMD): a throttled call halves the
 * limit (once per round of calls: calls started before the last decrease say nothing new), and
 * every `limit` successful calls raise it by one, never above `max` (the agent's `workers`).
 */
export class ConcurrencyLimit {
  private current: number;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private successes = 0;

  constructor(
    private readonly max: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.current = max;
  }

  get limit(): number {
    return this.current;
  }

  /**
   * A call that started at `startedAt` was throttled. Returns true when it is news (the call started
   * after the last decrease): the limit was lowered or was already at 1.
   */
  throttled(startedAt: number): boolean {
    if (startedAt < this.lastDecreaseAt) return false;
    this.lastDecreaseAt = this.now();
    this.current = Math.max(1, Math.floor(this.current / 2));
    this.successes = 0;
    return true;
  }

  succeeded(): void {
    if (this.current >= this.max) return;
    this.successes += 1;
    if (this.successes >= this.current) {
      this.successes = 0;
      this.current += 1;
    }
  }
}
