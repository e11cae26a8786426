import { MASK, redactUrl } from "../shared/url-credentials.js";

export { redactUrl, urlPassword } from "../shared/url-credentials.js";

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
