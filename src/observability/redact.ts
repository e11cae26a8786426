/** Replaces the password (and a username that looks like a key) of a URL with `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:***@");
  }
}

/** Removes every known secret from a piece of text. Secrets are literal strings, not patterns. */
export class SecretScrubber {
  private readonly secrets = new Set<string>();

  add(...secrets: string[]): void {
    for (const secret of secrets) {
      if (secret.length < 4) continue;
      this.secrets.add(secret);
      this.secrets.add(encodeURIComponent(secret));
      this.secrets.add(JSON.stringify(secret).slice(1, -1));
    }
  }

  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join("***");
    }
    return out;
  }
}
