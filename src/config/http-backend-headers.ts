import { ConfigError } from "../errors.js";
import { joinPath } from "./env-placeholders.js";

/** RFC 9110 `token`: what a header name may be made of. */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Printable ASCII and tab: a value that cannot break a header line. */
export const SAFE_HEADER_VALUE = /^[\t\x20-\x7E]*$/;

/** Headers the HTTP client owns: framing, connection management, the target. */
const CLIENT_OWNED = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "proxy-connection",
  "upgrade",
  "te",
  "trailer",
  "expect",
]);

/** Headers the SigV4 signer writes. */
const SIGV4_OWNED = new Set(["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]);

/** Prefix of the headers `forward_headers` sends. */
export const FORWARDED_PREFIX = "x-amqp-";

export interface StaticHeaderRules {
  /** The signer writes `Authorization` and the `X-Amz-*` headers it signs. */
  signed: boolean;
  /** A host carries a user and password: `Authorization` is theirs. */
  hostCredentials: boolean;
}

/**
 * Checks the static `headers`: names are HTTP tokens, unique whatever their case, not owned by the
 * client, the signer or `forward_headers`; values hold printable ASCII only (a line break could start
 * another header). Messages never quote a value: every value is a secret.
 */
export function checkStaticHeaders(
  headers: Readonly<Record<string, string>>,
  at: string,
  rules: StaticHeaderRules,
): void {
  const seen = new Set<string>();
  for (const name of Object.keys(headers)) {
    const path = joinPath(at, name);
    const lower = name.toLowerCase();
    if (!HTTP_TOKEN.test(name)) {
      throw new ConfigError(path, "a header name may hold letters, digits and !#$%&'*+-.^_`|~ only");
    }
    if (seen.has(lower))
      throw new ConfigError(path, `header "${name}" is listed twice (header names ignore case)`);
    seen.add(lower);
    if (CLIENT_OWNED.has(lower)) {
      throw new ConfigError(path, `"${name}" is written by the HTTP client itself; remove it`);
    }
    if (lower.startsWith(FORWARDED_PREFIX)) {
      throw new ConfigError(
        path,
        `names starting with "X-Amqp-" are kept for forward_headers; pick another name`,
      );
    }
    if (rules.signed && SIGV4_OWNED.has(lower)) {
      throw new ConfigError(path, `"${name}" is written by the auth/aws-sigv4 signer; remove it`);
    }
    if (rules.hostCredentials && lower === "authorization") {
      throw new ConfigError(
        path,
        "a host URL carries a user and password (sent as Basic authorization); keep one of them",
      );
    }
    if (!SAFE_HEADER_VALUE.test(headers[name] as string)) {
      throw new ConfigError(
        path,
        "a header value may hold printable ASCII only (no line breaks or control characters): percent-encode the rest",
      );
    }
  }
}
