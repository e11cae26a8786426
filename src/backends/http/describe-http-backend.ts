import type { HttpBackendConfig } from "../../config/http-backend-types.js";
import { describeSuccessStatus } from "../../config/resolve-http-backend.js";
import { MASK, redactUrl } from "../../shared/url-credentials.js";

/** The metrics label: `METHOD host+url_pattern`, the password masked; `(+N hosts)` when it has more. */
export function httpBackendLabel(config: HttpBackendConfig): string {
  const more = config.hosts.length - 1;
  const first = redactUrl(config.hosts[0] ?? "");
  return `${config.method} ${first}${config.urlPattern}${more > 0 ? ` (+${more} host${more > 1 ? "s" : ""})` : ""}`;
}

/**
 * One line for `validate`: method and URLs (passwords masked), the success rule, timeout and
 * retries, static header names (values masked), and what else is on.
 */
export function describeHttpBackend(config: HttpBackendConfig): string {
  const urls = config.hosts.map((host) => `${redactUrl(host)}${config.urlPattern}`);
  const parts = [
    `${config.method} ${urls.join(", ")}${urls.length > 1 ? " (round robin)" : ""}`,
    `success on ${describeSuccessStatus(config.successStatus)}`,
    `timeout ${config.timeoutMs}ms`,
    `max_retries ${config.maxRetries}`,
  ];
  const names = Object.keys(config.headers);
  if (names.length > 0) parts.push(`headers ${names.map((name) => `${name}: ${MASK}`).join(", ")}`);
  if (config.forwardHeaders)
    parts.push("AMQP routing key, exchange, message id and headers forwarded as X-Amqp-*");
  if (config.sigv4) parts.push(`signed with SigV4 for ${config.sigv4.service} in ${config.sigv4.region}`);
  if (config.rateLimit) {
    const { maxRate, everyMs, capacity } = config.rateLimit;
    parts.push(`at most ${maxRate} request(s) every ${everyMs}ms (burst ${capacity})`);
  }
  if (config.caFile) parts.push(`also trusts the CAs in ${config.caFile}`);
  if (config.filterPatterns)
    parts.push(`only messages matching any of ${JSON.stringify(config.filterPatterns)}`);
  return parts.join("; ");
}
