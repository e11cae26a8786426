import { isPlainObject } from "../shared/is-plain-object.js";

/** The agent options an `http` target of an `amqp` event may set, as the event spells them. */
const OPTION_KEYS = [
  "success_status",
  "max_retries",
  "timeout",
  "forward_headers",
  "headers",
  "filter_patterns",
];

/**
 * An `amqp` event whose target is a URL instead of the function it is attached to:
 *
 *     events:
 *       - amqp:
 *           exchange: orders
 *           http:
 *             url: https://abc.lambda-url.eu-west-1.on.aws/orders
 *             method: POST                 # default POST
 *             sigv4: { region: eu-west-1, service: lambda }
 *             headers: { X-Api-Key: '{{ env "ORDERS_KEY" }}' }
 *
 * becomes one HTTP backend entry of the agent config (KrakenD's fields). Throws naming the field.
 */
export function httpBackendEntry(http: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(http))
    throw new Error(`${path}.http: expected an object with "url" (and "method", "sigv4", ...)`);
  let url: URL;
  try {
    url = new URL(String(http.url));
  } catch {
    throw new Error(
      `${path}.http.url: expected the URL to send each message to, e.g. "https://example.com/orders"`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`${path}.http.url: expected an http:// or https:// URL`);
  }
  for (const key of Object.keys(http)) {
    if (!["url", "method", "sigv4", ...OPTION_KEYS].includes(key)) {
      throw new Error(`${path}.http.${key}: unknown; use url, method, sigv4, ${OPTION_KEYS.join(", ")}`);
    }
  }
  const options = Object.fromEntries(OPTION_KEYS.filter((k) => k in http).map((k) => [k, http[k]]));
  const extra: Record<string, unknown> = { "amqp_lambda_agent/http": options };
  if (http.sigv4 !== undefined) extra["auth/aws-sigv4"] = http.sigv4;
  return {
    host: [url.origin],
    url_pattern: `${url.pathname}${url.search}`,
    method: typeof http.method === "string" ? http.method : "POST",
    extra_config: extra,
  };
}

/** Whether an `http` target signs for Lambda (a function URL): its task role needs `lambda:InvokeFunctionUrl`. */
export function signsForLambda(http: unknown): boolean {
  return isPlainObject(http) && isPlainObject(http.sigv4) && http.sigv4.service === "lambda";
}
