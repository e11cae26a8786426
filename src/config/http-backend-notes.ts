import type { RawHttpBackend } from "./http-backend-schema.js";

const SHAPING_FIELDS = ["group", "target", "allow", "deny", "mapping", "is_collection"] as const;

/**
 * The one start-up note of a backend: the KrakenD fields it accepted and ignores, each with why; or
 * `undefined` when there are none.
 */
export function ignoredFieldsNote(raw: RawHttpBackend, at: string): string | undefined {
  const shaping: string[] = SHAPING_FIELDS.filter((field) => raw[field] !== undefined);
  if (raw.extra_config.proxy?.flatmap_filter !== undefined) shaping.push("extra_config.proxy.flatmap_filter");
  if (raw.encoding !== undefined && raw.encoding !== "no-op") shaping.push(`encoding "${raw.encoding}"`);
  const krakendHttp = raw.extra_config["backend/http"];
  const sigv4 = raw.extra_config["auth/aws-sigv4"];
  const parts: string[] = [];
  if (shaping.length > 0) {
    parts.push(
      `${shaping.join(", ")} (they shape KrakenD's endpoint responses; an agent has none: the response body is kept as it is, never decoded, and success is decided by the status alone)`,
    );
  }
  if (krakendHttp?.return_error_code !== undefined) {
    parts.push('extra_config["backend/http"].return_error_code (it shapes an endpoint\'s response status)');
  }
  if (sigv4?.debug !== undefined) {
    parts.push(
      'extra_config["auth/aws-sigv4"].debug (signing failures are logged with the request\'s outcome)',
    );
  }
  if (sigv4?.sts_region !== undefined && sigv4.assume_role_arn === undefined) {
    parts.push('extra_config["auth/aws-sigv4"].sts_region (used only to assume a role)');
  }
  return parts.length > 0 ? `${at}: accepted and ignored: ${parts.join("; ")}` : undefined;
}

/**
 * The start-up warning of a backend whose KrakenD settings acked failed deliveries (`encoding:
 * "no-op"`, `return_error_details`): this agent acks only what succeeded. `undefined` when neither is set.
 */
export function ackOnFailureWarning(
  raw: RawHttpBackend,
  at: string,
  successRule: string,
): string | undefined {
  const quoted: string[] = [];
  if (raw.encoding === "no-op") quoted.push('encoding: "no-op"');
  const details = raw.extra_config["backend/http"]?.return_error_details;
  if (details !== undefined) {
    quoted.push(`extra_config["backend/http"].return_error_details: ${JSON.stringify(details)}`);
  }
  if (quoted.length === 0) return undefined;
  return `${at}: ${quoted.join(" and ")}: KrakenD would have acked every response to this backend, failures (4xx, 5xx) included, so failed messages were lost; this agent acks a message only on success (${successRule}) and retries, requeues or dead-letters the others`;
}
