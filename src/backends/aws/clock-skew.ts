import type { IncomingHttpHeaders } from "node:http";

/**
 * The SDK's clock-skew correction: every response's `Date` header (unless it carries `Age`, i.e.
 * came from a cache) sets the offset between this machine's clock and AWS's, and requests are
 * signed at `now + offset`, so a drifting clock does not make signatures expire. Off when
 * `AWS_DISABLE_CLOCK_SKEW_CORRECTION` / `disable_clock_skew_correction` says so.
 */
export class ClockSkew {
  constructor(
    private offsetMs: number,
    private readonly disabled: boolean,
  ) {}

  signingDate(): Date {
    return new Date(this.disabled ? Date.now() : Date.now() + this.offsetMs);
  }

  observe(headers: IncomingHttpHeaders, sentAt: number): void {
    if (this.disabled || headers.age !== undefined || headers.date === undefined) return;
    const serverTime = Date.parse(headers.date);
    const now = Date.now();
    // Like the SDK: a response that took longer than 15 minutes says nothing reliable about the clock.
    if (Number.isNaN(serverTime) || now - sentAt > 900_000) return;
    this.offsetMs = serverTime - now;
  }
}
