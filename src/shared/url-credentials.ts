/** What stands in for a secret. */
export const MASK = "***";

/**
 * Masks the password of a URL (`amqp://user:secret@host/` → `amqp://user:***@host/`), whatever its
 * length and whether it is URL-encoded or holds a raw `@` (the userinfo ends at the authority's
 * last `@`). Text that is not a URL with a password is returned unchanged.
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (!scheme) return url;
  const start = scheme[0].length;
  const end = authorityEnd(url, start);
  const at = url.lastIndexOf("@", end - 1);
  if (at < start) return url;
  const colon = url.indexOf(":", start);
  if (colon < 0 || colon > at) return url;
  return `${url.slice(0, colon + 1)}${MASK}${url.slice(at)}`;
}

/** Index just past a URL's authority: the first `/`, `?` or `#` after the last `@` before it, else the end. */
function authorityEnd(url: string, start: number): number {
  // A raw `@` may sit in the password; a `/` may not (it would end the authority), so the path starts
  // at the first `/` after the last `@` that comes before any whitespace.
  const space = url.slice(start).search(/\s/);
  const limit = space < 0 ? url.length : start + space;
  const lastAt = url.lastIndexOf("@", limit - 1);
  const from = Math.max(lastAt, start);
  const rest = url.slice(from, limit).search(/[/?#]/);
  return rest < 0 ? limit : from + rest;
}

/** The password of a URL as written (`amqp://user:p%40ss@host/` → `p%40ss`), whatever its length and characters. */
export function urlPassword(url: string): string | undefined {
  const redacted = redactUrl(url);
  if (redacted === url) return undefined;
  // redactUrl masks from the first ":" after "scheme://" up to the authority's last "@".
  const start = url.indexOf("://") + 3;
  const colon = url.indexOf(":", start);
  return url.slice(colon + 1, colon + 1 + url.length - redacted.length + MASK.length);
}
