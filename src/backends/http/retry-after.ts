/** Node.js fires a longer timer at once: a longer wait is capped here. */
const MAX_WAIT_MS = 2 ** 31 - 1;

/**
 * A `Retry-After` header in milliseconds from `nowMs`: delay-seconds (`120`) or an HTTP-date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`), a date in the past giving 0. `undefined` when absent or not one
 * of these (a negative or fractional number, text that is not a date).
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_WAIT_MS);
  // Every HTTP-date form (IMF-fixdate, RFC 850, asctime) starts with the weekday; much else that
  // Date.parse accepts ("2026", "1 2") does not.
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)/i.test(text)) return undefined;
  // asctime's form has no zone, and every HTTP-date is GMT: never read it as local time.
  const at = Date.parse(/GMT$/i.test(text) ? text : `${text} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - nowMs), MAX_WAIT_MS);
}
