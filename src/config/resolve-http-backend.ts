import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { compileFilterPatterns, FilterPatternError } from "../filter/index.js";
import { isPlainObject } from "../shared/is-plain-object.js";
import { joinPath } from "./env-placeholders.js";
import { formatIssue } from "./format-issue.js";
import { checkStaticHeaders } from "./http-backend-headers.js";
import { hostCredentials, sanitizeHost } from "./http-backend-hosts.js";
import { ackOnFailureWarning, ignoredFieldsNote } from "./http-backend-notes.js";
import {
  HTTP_BACKEND_KEYS,
  HTTP_NAMESPACE,
  httpBackendSchema,
  type RawHttpBackend,
  SIGV4_NAMESPACE,
} from "./http-backend-schema.js";
import type { HttpBackendConfig, ResolvedHttpBackend, SuccessStatus } from "./http-backend-types.js";

/** What an HTTP backend entry takes from the rest of the file. */
export interface HttpBackendContext {
  /** The file's root `host` list (KrakenD's hosts of a backend that lists none), as written. */
  rootHosts: readonly string[];
  /** The agent's `consumer.timeout`: the default `timeout`. */
  consumerTimeoutMs: number;
}

/** KrakenD backends that are not HTTP: this agent cannot send to them. */
const NON_HTTP_NAMESPACES = [
  "backend/amqp/producer",
  "backend/amqp/consumer",
  "backend/pubsub/publisher",
  "backend/pubsub/subscriber",
  "backend/grpc",
  "backend/soap",
];

/**
 * One KrakenD backend entry without `backend/lambda` (after `{{ env }}` substitution, as the loader
 * does for the whole file) → a fully defaulted `HttpBackendConfig`, with what to say at start-up and
 * what to mask in logs. `at` is the entry's JSON path, e.g. `async_agent[0].backend[1]`; every
 * problem is a `ConfigError` naming the path below it.
 */
export function resolveHttpBackend(
  raw: unknown,
  at: string,
  context: HttpBackendContext,
): ResolvedHttpBackend {
  refuseOtherBackends(raw, at);
  const parsed = httpBackendSchema.safeParse(raw);
  if (!parsed.success) throw issueError(parsed.error.issues[0], raw, at);
  const entry = parsed.data;
  const optionsAt = `${at}.extra_config[${JSON.stringify(HTTP_NAMESPACE)}]`;
  const options = entry.extra_config[HTTP_NAMESPACE];
  const sigv4 = entry.extra_config[SIGV4_NAMESPACE];
  const sigv4At = `${at}.extra_config[${JSON.stringify(SIGV4_NAMESPACE)}]`;
  if (sigv4?.assume_role_arn !== undefined) {
    throw new ConfigError(
      `${sigv4At}.assume_role_arn`,
      "is not supported: the agent signs with the credentials of the default AWS chain; to act as a role, configure it there (an AWS profile with role_arn and source_profile or credential_source, selected by AWS_PROFILE; or the task's or instance's role)",
    );
  }
  const hosts = hostsOf(entry, at, context.rootHosts);
  const withCredentials = hosts.filter((host) => hostCredentials(host) !== undefined);
  if (sigv4 && withCredentials.length > 0) {
    throw new ConfigError(
      `${at}.host`,
      "a host URL carries a user and password, and auth/aws-sigv4 signs the requests; keep one of them",
    );
  }
  checkStaticHeaders(options.headers, `${optionsAt}.headers`, {
    signed: sigv4 !== undefined,
    hostCredentials: withCredentials.length > 0,
  });
  checkFilterPatterns(options.filter_patterns, `${optionsAt}.filter_patterns`);
  const successStatus: SuccessStatus =
    options.success_status === "2xx"
      ? { kind: "2xx" }
      : { kind: "codes", codes: [...new Set(options.success_status)] };
  const rateLimit = entry.extra_config["qos/ratelimit/proxy"];
  const config: HttpBackendConfig = {
    at,
    method: entry.method,
    hosts,
    urlPattern: entry.url_pattern,
    encoding: entry.encoding,
    successStatus,
    maxRetries: options.max_retries,
    timeoutMs: options.timeout ?? context.consumerTimeoutMs,
    forwardHeaders: options.forward_headers,
    headers: options.headers,
    filterPatterns: options.filter_patterns,
    caFile: options.tls?.ca_file,
    sigv4: sigv4 && { region: sigv4.region, service: sigv4.service },
    rateLimit:
      rateLimit && rateLimit.max_rate > 0
        ? { maxRate: rateLimit.max_rate, capacity: rateLimit.capacity, everyMs: rateLimit.every }
        : undefined,
  };
  const note = ignoredFieldsNote(entry, at);
  const warning = ackOnFailureWarning(entry, at, describeSuccessStatus(successStatus));
  return {
    config,
    notes: note ? [note] : [],
    warnings: warning ? [warning] : [],
    secrets: [...Object.values(options.headers), ...withCredentials.flatMap(passwordsOf)],
  };
}

/** "any 2xx", or "status 200, 202". */
export function describeSuccessStatus(rule: SuccessStatus): string {
  return rule.kind === "2xx" ? "any 2xx status" : `status ${rule.codes.join(", ")}`;
}

function refuseOtherBackends(raw: unknown, at: string): void {
  if (!isPlainObject(raw)) throw new ConfigError(at, 'expected a backend object with "url_pattern"');
  const extra = raw.extra_config;
  if (!isPlainObject(extra)) return;
  for (const namespace of Object.keys(extra)) {
    const path = `${at}.extra_config[${JSON.stringify(namespace)}]`;
    if (NON_HTTP_NAMESPACES.includes(namespace) || namespace.startsWith("backend/pubsub/")) {
      throw new ConfigError(
        path,
        "is a KrakenD backend this agent cannot send to: it sends messages to HTTP endpoints and Lambda functions only; remove this backend, or use a Lambda function or an HTTP endpoint that does this",
      );
    }
    if (namespace === "backend/lambda") {
      throw new ConfigError(path, "a Lambda backend is not an HTTP backend (resolve it as a Lambda backend)");
    }
  }
}

/** The entry's hosts; KrakenD's root `host` list when it has none. */
function hostsOf(entry: RawHttpBackend, at: string, rootHosts: readonly string[]): string[] {
  if (entry.host.length > 0) {
    return entry.host.map((host, index) =>
      sanitizeHost(host, `${at}.host[${index}]`, !entry.disable_host_sanitize),
    );
  }
  if (rootHosts.length === 0) {
    throw new ConfigError(
      `${at}.host`,
      'is required: list the base URLs to send to (e.g. ["https://api.example.com"]), here or in the file\'s root "host"',
    );
  }
  return rootHosts.map((host, index) => sanitizeHost(host, `host[${index}]`, true));
}

function checkFilterPatterns(patterns: unknown[] | undefined, at: string): void {
  if (patterns === undefined) return;
  try {
    compileFilterPatterns(patterns);
  } catch (error) {
    if (!(error instanceof FilterPatternError)) throw error;
    throw new ConfigError(`${at}${error.path}`, error.detail);
  }
}

function passwordsOf(host: string): string[] {
  const credentials = hostCredentials(host);
  if (!credentials?.password) return [];
  const written = new URL(host).password;
  return written === credentials.password ? [written] : [credentials.password, written];
}

/** A schema issue as a ConfigError at `at` + its path; an unknown key lists the keys that object takes. */
function issueError(issue: z.core.$ZodIssue | undefined, raw: unknown, at: string): ConfigError {
  if (!issue) return new ConfigError(at, "invalid backend");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const base = issue.path.reduce<string>((path, part) => joinPath(path, part as string | number), "");
    const known = HTTP_BACKEND_KEYS[issue.path.join(".")] ?? [];
    const what = issue.path.join(".") === "extra_config" ? "namespace" : "key";
    return new ConfigError(
      under(at, joinPath(base, key)),
      `unknown ${what} "${key}" in an HTTP backend; expected one of ${known.map((k) => `"${k}"`).join(", ")}`,
    );
  }
  const { path, message } = formatIssue(issue, raw);
  return new ConfigError(under(at, path), message);
}

function under(at: string, path: string): string {
  if (path === "") return at;
  return path.startsWith("[") ? `${at}${path}` : `${at}.${path}`;
}
