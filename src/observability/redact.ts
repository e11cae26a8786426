const MASK = "***";

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

/** Every URL with a password inside a piece of text, masked (for error messages that quote URLs). */
export function redactUrlsInText(text: string): string {
  // A URL ends at whitespace, a quote or a backslash (JSON log lines have no spaces between fields).
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>\\]+/gi, (url) => redactUrl(url));
}

/**
 * Removes known secrets (passwords, passphrases) from a piece of text: the literal values, also
 * URL- and JSON-escaped, and the password part of any URL. Names (queues, exchanges) stay.
 */
export class SecretScrubber {
  private readonly secrets = new Set<string>();

  add(...secrets: string[]): void {
    for (const secret of secrets) {
      // Shorter values cannot be removed from free text without corrupting it; URLs still lose
      // their password by position.
      if (secret.length < 4) continue;
      this.secrets.add(secret);
      this.secrets.add(encodeURIComponent(secret));
      this.secrets.add(JSON.stringify(secret).slice(1, -1));
    }
  }

  scrub(text: string): string {
    let out = text.includes("://") ? redactUrlsInText(text) : text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(MASK);
    }
    return out;
  }
}
