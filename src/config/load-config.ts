import { readFileSync } from "node:fs";
import type { z } from "zod";
import { ConfigError, toError } from "../errors.js";
import { isPlainObject } from "../shared/is-plain-object.js";
import { urlPassword } from "../shared/url-credentials.js";
import { parseDuration } from "./duration.js";
import { substituteEnv } from "./env-placeholders.js";
import { formatIssue } from "./format-issue.js";
import { KRAKEND_TELEMETRY_KEY } from "./krakend-telemetry.js";
import { resolveAgent } from "./resolve-agent.js";
import { fileSchema } from "./schema.js";
import type { AgentOptions, LoadedConfig } from "./types.js";

/** Reads and resolves a config file. Every problem is a `ConfigError` naming the JSON path. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError("", `cannot read config file ${file}: ${toError(error).message}`);
  }
  return resolveConfig(parseJson(text, file), env);
}

/** Parses the config's JSON text; `source` names it in the error (a file, or an environment variable). */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError("", `${source} is not valid JSON (${toError(error).message}); fix the syntax`);
  }
}

/**
 * Turns raw JSON (a krakend.json or `{"async_agent": [...]}`) into fully defaulted, typed config.
 * Precedence: the file, then the `{{ env "NAME" }}` placeholders in it, then the defaults.
 */
export function resolveConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const value = substituteEnv(stripCommentKeys(raw), env);
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) throw issueToError(parsed.error.issues[0], value);
  const root = { timeoutMs: resolveRootTimeout(parsed.data.timeout), hosts: parsed.data.host };
  const resolved = parsed.data.async_agent.map((agent, index) =>
    resolveAgent(agent, `async_agent[${index}]`, root),
  );
  const agents = resolved.map((r) => r.config);
  const names = new Set<string>();
  for (const [index, agent] of agents.entries()) {
    if (names.has(agent.name)) {
      throw new ConfigError(
        `async_agent[${index}].name`,
        `duplicate agent name "${agent.name}"; give every agent its own name`,
      );
    }
    names.add(agent.name);
  }
  const secrets: string[] = resolved.flatMap((r) => r.secrets);
  for (const agent of agents) {
    for (const url of agent.amqp.urls) {
      const password = passwordOf(url);
      if (password) secrets.push(password);
    }
    if (agent.amqp.tls?.passphrase) secrets.push(agent.amqp.tls.passphrase);
  }
  const options = resolveOptions(parsed.data.amqp_lambda_agent, hasKrakendTelemetry(value));
  return { agents, options, secrets };
}

function issueToError(issue: z.core.$ZodIssue | undefined, root: unknown): ConfigError {
  if (!issue) return new ConfigError("", "invalid configuration");
  const { path, message } = formatIssue(issue, root);
  return new ConfigError(path, message);
}

function resolveOptions(
  raw: z.output<typeof fileSchema>["amqp_lambda_agent"],
  krakendTelemetry: boolean,
): AgentOptions {
  const { host, port } = splitAddress(raw.http.address, "amqp_lambda_agent.http.address");
  return {
    http: { enabled: raw.http.enabled, host, port, unhealthyAfterMs: raw.http.unhealthy_after },
    logLevel: raw.log_level,
    summaryIntervalMs: raw.summary_interval,
    emf: {
      enabled: raw.emf.enabled,
      namespace: raw.emf.namespace,
      service: raw.emf.service,
      intervalMs: raw.emf.interval,
    },
    tracing: {
      enabled: raw.tracing.enabled,
      parent: raw.tracing.parent,
      settleSpans: raw.tracing.settle_spans,
      krakendTelemetry,
    },
  };
}

/** KrakenD's root `extra_config["telemetry/opentelemetry"]`: the agent reads OTEL_* instead. */
function hasKrakendTelemetry(file: unknown): boolean {
  const extra = isPlainObject(file) ? file.extra_config : undefined;
  return isPlainObject(extra) && Object.hasOwn(extra, KRAKEND_TELEMETRY_KEY);
}

/** `"host:port"` (`[::1]:9464` for IPv6; port 0 picks a free port). */
export function splitAddress(address: string, path: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(address);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port > 65_535) {
    throw new ConfigError(
      path,
      `expected "host:port" such as "127.0.0.1:9464" (port 0 picks a free port), got "${address}"`,
    );
  }
  return { host: (match[1] ?? "").replace(/^\[|\]$/g, "") || "0.0.0.0", port };
}

/** The password of a URL, decoded; `undefined` when it has none. */
function passwordOf(url: string): string | undefined {
  const written = urlPassword(url);
  if (!written) return undefined;
  try {
    return decodeURIComponent(written);
  } catch {
    return written;
  }
}

/** KrakenD's root `timeout` (a duration string); 2 s when absent, as KrakenD falls back to. */
function resolveRootTimeout(raw: unknown): number {
  if (raw === undefined) return 2000;
  const ms = typeof raw === "string" ? parseDuration(raw) : undefined;
  if (ms === undefined || ms <= 0)
    throw new ConfigError("timeout", `expected a duration such as "3s", got ${JSON.stringify(raw)}`);
  return ms;
}

const COMMENT_KEY = /^[@$_#]/;
/**
 * Objects whose keys are data, not config fields: argument and header names may start with `_`
 * (`reply.headers`, an HTTP backend's `headers`), patterns use `$or`, `mapping` renames fields such as `_id`.
 */
const VERBATIM = new Set(["queue_arguments", "arguments", "filter_patterns", "headers", "mapping"]);

/**
 * Drops KrakenD's comment keys (`"@comment"`, `"$ref"`, `"_note"`, `"#"`…), which its schema allows
 * in every object, so strict sections accept them. The objects named in `VERBATIM` are passed
 * through untouched.
 */
function stripCommentKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripCommentKeys);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !COMMENT_KEY.test(key))
      .map(([key, item]) => [key, VERBATIM.has(key) ? item : stripCommentKeys(item)]),
  );
}
