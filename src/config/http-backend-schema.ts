import { z } from "zod";
import { count, duration } from "./schema-fields.js";

/** This agent's own settings of an HTTP backend. */
export const HTTP_NAMESPACE = "amqp_lambda_agent/http";
export const SIGV4_NAMESPACE = "auth/aws-sigv4";
export const RATE_LIMIT_NAMESPACE = "qos/ratelimit/proxy";
export const KRAKEND_HTTP_NAMESPACE = "backend/http";
export const PROXY_NAMESPACE = "proxy";

/** KrakenD's response decoders (`encoding`), compared in lower case as KrakenD does. */
export const ENCODINGS = ["json", "safejson", "fast-json", "xml", "rss", "string", "yaml", "no-op"] as const;

const statusCode = count("an HTTP status code from 100 to 599").min(100).max(599);

const httpOptionsSchema = z.strictObject({
  success_status: z
    .union([z.literal("2xx"), z.array(statusCode).min(1, { error: "list at least one status code" })], {
      error: 'expected "2xx" or a list of status codes such as [200, 202]',
    })
    .default("2xx"),
  max_retries: count("a whole number, 0 or more").min(0).default(2),
  // Defaults to the consumer's timeout.
  timeout: duration(1).optional(),
  forward_headers: z.boolean().default(false),
  headers: z
    .record(z.string(), z.string({ error: "expected the header's value (a string)" }), {
      error: 'expected an object of header names and values, e.g. {"X-Api-Key": "{{ env \\"API_KEY\\" }}"}',
    })
    .default({}),
  // Checked by the filter compiler (the path of the bad operator).
  filter_patterns: z.array(z.unknown(), { error: "expected a list of event patterns" }).optional(),
  tls: z
    .strictObject({
      ca_file: z
        .string({ error: "expected the path of a PEM file of certificate authorities" })
        .min(1, { error: "must not be empty" }),
    })
    .optional(),
});

// KrakenD Enterprise's field names.
const sigv4Schema = z.strictObject({
  region: z.string({ error: 'expected the AWS region to sign for, e.g. "eu-west-1"' }).min(1),
  service: z.string({ error: 'expected the AWS service to sign for, e.g. "execute-api" or "lambda"' }).min(1),
  assume_role_arn: z.string().optional(),
  sts_region: z.string().optional(),
  debug: z.boolean().optional(),
});

const rateLimitSchema = z.strictObject({
  // 0 or less: no limit.
  max_rate: z.number({ error: "expected requests per `every` (a number; 0 or less means no limit)" }),
  capacity: count("a whole number of requests, 1 or more").min(1).default(1),
  every: duration(1).prefault("1s"),
});

const krakendHttpSchema = z.strictObject({
  return_error_details: z.string().optional(),
  return_error_code: z.boolean().optional(),
});

const proxySchema = z.strictObject({
  flatmap_filter: z.array(z.unknown()).optional(),
});

export const httpExtraConfigSchema = z.strictObject({
  [HTTP_NAMESPACE]: httpOptionsSchema.prefault({}),
  [SIGV4_NAMESPACE]: sigv4Schema.optional(),
  [RATE_LIMIT_NAMESPACE]: rateLimitSchema.optional(),
  [KRAKEND_HTTP_NAMESPACE]: krakendHttpSchema.optional(),
  [PROXY_NAMESPACE]: proxySchema.optional(),
});

/** A KrakenD backend entry that sends to an HTTP endpoint (no `backend/lambda`). */
export const httpBackendSchema = z.strictObject({
  // Empty or absent: the file's root `host` list.
  host: z.array(z.string({ error: 'expected a base URL such as "https://api.example.com"' })).default([]),
  url_pattern: z
    .string({ error: 'expected the path (and query) to request, e.g. "/orders"' })
    .startsWith("/", { error: 'must start with "/", e.g. "/orders"' })
    // Sent verbatim: what cannot be on a request line, percent-encoded by the user.
    .regex(/^[\x21\x22\x24-\x7e]*$/, {
      error: "may hold printable ASCII only, without spaces or #: percent-encode the rest (%20 for a space)",
    }),
  // KrakenD's default; sent in upper case.
  method: z
    .string({ error: 'expected an HTTP method such as "POST"' })
    .regex(/^[A-Za-z]+$/, { error: 'expected an HTTP method such as "POST"' })
    .transform((method) => method.toUpperCase())
    .default("GET"),
  encoding: z
    .string({ error: 'expected a KrakenD encoding such as "json" or "no-op"' })
    .transform((encoding) => encoding.toLowerCase())
    .pipe(z.enum(ENCODINGS))
    .optional(),
  disable_host_sanitize: z.boolean().default(false),
  sd: z
    .string()
    .refine((sd) => sd === "static", {
      error: 'only "static" service discovery is supported: list the hosts in "host"',
    })
    .optional(),
  // KrakenD's response shaping: accepted, and reported as ignored (an agent has no response to shape).
  group: z.string().optional(),
  target: z.string().optional(),
  allow: z.array(z.string()).optional(),
  deny: z.array(z.string()).optional(),
  mapping: z.record(z.string(), z.string()).optional(),
  is_collection: z.boolean().optional(),
  extra_config: httpExtraConfigSchema.prefault({}),
});

export type RawHttpBackend = z.output<typeof httpBackendSchema>;

/** The keys each object of the entry accepts, by its path inside the entry (for "unknown key" errors). */
export const HTTP_BACKEND_KEYS: Readonly<Record<string, readonly string[]>> = {
  "": Object.keys(httpBackendSchema.shape),
  extra_config: Object.keys(httpExtraConfigSchema.shape),
  [`extra_config.${HTTP_NAMESPACE}`]: Object.keys(httpOptionsSchema.shape),
  [`extra_config.${HTTP_NAMESPACE}.tls`]: ["ca_file"],
  [`extra_config.${SIGV4_NAMESPACE}`]: Object.keys(sigv4Schema.shape),
  [`extra_config.${RATE_LIMIT_NAMESPACE}`]: Object.keys(rateLimitSchema.shape),
  [`extra_config.${KRAKEND_HTTP_NAMESPACE}`]: Object.keys(krakendHttpSchema.shape),
  [`extra_config.${PROXY_NAMESPACE}`]: Object.keys(proxySchema.shape),
};
