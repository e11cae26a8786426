import { redactUrl, urlPassword } from "../observability/redact.js";

export { urlPassword };

const MASK = "***";
// A URL inside text ends at whitespace, a quote, an angle bracket or a backslash.
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s"'<>\\]+/gi;
/** Shorter secrets are masked only where they stand alone or sit in a URL (else "pw" would eat words). */
const MIN_SUBSTRING_LENGTH = 4;
/** Shorter secrets found inside a longer template string are not worth failing a deploy for. */
const MIN_TEMPLATE_MATCH_LENGTH = 8;
/** osls' templates: checked, never rewritten (a masked value in a resource would deploy broken). */
const TEMPLATE_KEYS = new Set(["compiledCloudFormationTemplate", "coreCloudFormationTemplate"]);

/** Each secret as written, and URL-decoded when that differs. */
export function secretForms(secrets: Iterable<string>): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === "" || secret === MASK) continue;
    forms.add(secret);
    try {
      forms.add(decodeURIComponent(secret));
    } catch {
      // Not URL-encoded.
    }
  }
  // Longest first, so a secret that contains another is masked whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

/** `text` with every URL password and every known secret replaced by `***`. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text.replace(URL_IN_TEXT, (url) => redactUrl(url));
  for (const secret of secrets) {
    if (out === secret) return MASK;
    if (secret.length >= MIN_SUBSTRING_LENGTH && out.includes(secret)) out = out.split(secret).join(MASK);
  }
  return out;
}

/**
 * Masks, in place, every secret in the plain data (objects, arrays, strings) reachable from
 * `root`'s own properties, except the root keys in `skip` and osls' templates. Cycle-safe; a class
 * instance (osls' own objects) is not plain data and is left alone.
 */
export function scrubInPlace(
  root: object,
  secrets: readonly string[],
  skip: ReadonlySet<string> = new Set(),
) {
  const seen = new WeakSet<object>();
  const visit = (container: Record<string, unknown>, isRoot: boolean): void => {
    if (seen.has(container)) return;
    seen.add(container);
    for (const key of Object.keys(container)) {
      if ((isRoot && skip.has(key)) || TEMPLATE_KEYS.has(key)) continue;
      const value = container[key];
      if (typeof value === "string") {
        const scrubbed = scrubText(value, secrets);
        if (scrubbed !== value) container[key] = scrubbed;
      } else if (isPlainData(value)) {
        visit(value, false);
      }
    }
  };
  visit(root as Record<string, unknown>, true);
}

/** JSON paths in osls' templates where a secret appears (a deploy must not upload them). */
export function secretsInTemplates(provider: Record<string, unknown>, secrets: readonly string[]): string[] {
  const found: string[] = [];
  const seen = new WeakSet<object>();
  const visit = (value: unknown, path: string): void => {
    if (typeof value === "string") {
      const inUrl = [...value.matchAll(URL_IN_TEXT)].some((match) => {
        const password = urlPassword(match[0]);
        return password !== undefined && secrets.includes(password);
      });
      const inText = secrets.some(
        (secret) =>
          value === secret || (secret.length >= MIN_TEMPLATE_MATCH_LENGTH && value.includes(secret)),
      );
      if (inUrl || inText) found.push(path);
      return;
    }
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    for (const [key, item] of Object.entries(value)) {
      visit(item, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`);
    }
  };
  for (const key of TEMPLATE_KEYS) visit(provider[key], key);
  return found;
}

function isPlainData(value: unknown): value is Record<string, unknown> {
  if (Array.isArray(value)) return true;
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
