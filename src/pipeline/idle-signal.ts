/** Resolves waiters when nothing is held any more (a drain waits on it, bounded). */
export class IdleSignal {
  private waiters: Array<() => void> = [];

  constructor(private readonly isIdle: () => boolean) {}

  /** Resolves true when idle, false after `timeoutMs`. */
  async wait(timeoutMs: number): Promise<boolean> {
    if (this.isIdle()) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.waiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return result;
  }

  /** Something ended: wakes the waiters if nothing is held now. */
  check(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
