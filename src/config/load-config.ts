import { readFileSync } from "node:fs";
import type { z } from "zod";
import { ConfigError, toError } from "../errors.js";
import { parseDuration } from "./duration.js";
import { substituteEnv } from "./env-placeholders.js";
import { formatIssue } from "./format-issue.js";
import { fileSchema, type RawAgent } from "./schema.js";
import type { AgentConfig, AgentOptions, LoadedConfig } from "./types.js";

/** Reads and resolves a config file. Every problem is a `ConfigError` naming the JSON path. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError("", `cannot read config file ${file}: ${toError(error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError("", `${file} is not valid JSON (${toError(error).message}); fix the syntax`);
  }
  return resolveConfig(json, env);
}

/** Turns raw JSON (a krakend.json or `{"async_agent": [...]}`) into fully defaulted, typed config. */
export function resolveConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const { value, secrets } = substituteEnv(stripCommentKeys(raw), env);
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) throw issueToError(parsed.error.issues[0], value);
  const rootTimeout = resolveRootTimeout(parsed.data.timeout);
  const agents = parsed.data.async_agent.map((agent, index) =>
    resolveAgent(agent, `async_agent[${index}]`, rootTimeout),
  );
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
  for (const agent of agents) {
    const password = passwordOf(agent.amqp.url);
    if (password) secrets.push(password);
    if (agent.amqp.tls?.passphrase) secrets.push(agent.amqp.tls.passphrase);
  }
  return { agents, options: resolveOptions(parsed.data.amqp_lambda_agent), secrets };
}

function issueToError(issue: z.core.$ZodIssue | undefined, root: unknown): ConfigError {
  if (!issue) return new ConfigError("", "invalid configuration");
  const { path, message } = formatIssue(issue, root);
  return new ConfigError(path, message);
}

function resolveAgent(raw: RawAgent, at: string, rootTimeoutMs: number): AgentConfig {
  const amqp = raw.extra_config["async/amqp"];
  const lambdas = raw.backend.flatMap((entry, index) => {
    const lambda = entry.extra_config?.["backend/lambda"];
    return lambda ? [{ lambda, index }] : [];
  });
  const first = lambdas[0];
  if (!first) {
    throw new ConfigError(
      `${at}.backend`,
      'no backend has extra_config["backend/lambda"]; add one with "function_name"',
    );
  }
  if (lambdas.length > 1) {
    throw new ConfigError(
      `${at}.backend[${lambdas[1]?.index}]`,
      'only one backend per agent may have "backend/lambda"',
    );
  }
  const { lambda } = first;
  const lambdaAt = `${at}.backend[${first.index}].extra_config["backend/lambda"]`;
  if (lambda.event_format === "body" && lambda.batch_size > 1) {
    throw new ConfigError(
      `${lambdaAt}.event_format`,
      '"body" sends one message body per invocation; use "rmq" with batch_size > 1',
    );
  }
  const failurePolicy = amqp.failure_policy ?? (amqp.nack_discard ? "reject" : "dead_letter");
  if (amqp.nack_discard && failurePolicy !== "reject") {
    throw new ConfigError(
      `${at}.extra_config["async/amqp"].nack_discard`,
      `nack_discard: true means failure_policy "reject", but failure_policy is "${failurePolicy}"; keep one of them`,
    );
  }
  const workers = raw.consumer.workers;
  return {
    name: raw.name,
    connection: {
      maxRetries: raw.connection.max_retries <= 0 ? Number.POSITIVE_INFINITY : raw.connection.max_retries,
      backoffStrategy: raw.connection.backoff_strategy,
      healthIntervalMs: raw.connection.health_interval,
    },
    consumer: {
      topic: raw.consumer.topic,
      workers,
      timeoutMs: raw.consumer.timeout ?? rootTimeoutMs,
      maxRate: Math.max(raw.consumer.max_rate, 0),
      drainTimeoutMs: raw.consumer.drain_timeout,
    },
    lambda: {
      functionName: lambda.function_name,
      region: lambda.region,
      endpoint: lambda.endpoint,
      maxRetries: lambda.max_retries,
      batchSize: lambda.batch_size,
      batchWindowMs: lambda.batch_window,
      eventFormat: lambda.event_format,
    },
    amqp: {
      url: amqp.host,
      queue: amqp.name,
      exchange: amqp.exchange,
      durable: amqp.durable,
      autoDelete: amqp.delete,
      exclusive: amqp.exclusive,
      noWait: amqp.no_wait,
      prefetchCount:
        amqp.prefetch_count > 0
          ? Math.min(65_535, Math.max(amqp.prefetch_count, lambda.batch_size * workers))
          : 0,
      requestedPrefetchCount: amqp.prefetch_count,
      prefetchSize: amqp.prefetch_size,
      noLocal: amqp.no_local,
      autoAck: amqp.auto_ack,
      failurePolicy,
      deadLetterQueue: amqp.dead_letter_queue ?? `${amqp.name}.dlq`,
      requeueDelayMs: amqp.requeue_delay,
      queueArguments: amqp.queue_arguments,
      maxBacklog: amqp.max_backlog ?? Math.max(amqp.prefetch_count, workers * lambda.batch_size * 2, 100),
      tls: amqp.tls && {
        caFile: amqp.tls.ca_file,
        certFile: amqp.tls.cert_file,
        keyFile: amqp.tls.key_file,
        passphrase: amqp.tls.passphrase,
        serverName: amqp.tls.server_name,
        rejectUnauthorized: amqp.tls.reject_unauthorized,
      },
    },
  };
}

function resolveOptions(raw: z.output<typeof fileSchema>["amqp_lambda_agent"]): AgentOptions {
  const { host, port } = splitAddress(raw.http.address);
  return {
    http: { enabled: raw.http.enabled, host, port },
    logLevel: raw.log_level,
    summaryIntervalMs: raw.summary_interval,
  };
}

function splitAddress(address: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(address);
  if (!match) {
    throw new ConfigError(
      "amqp_lambda_agent.http.address",
      `expected "host:port" such as "127.0.0.1:9464", got "${address}"`,
    );
  }
  return { host: (match[1] ?? "").replace(/^\[|\]$/g, "") || "0.0.0.0", port: Number(match[2]) };
}

function passwordOf(url: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password.length > 0 ? password : undefined;
  } catch {
    return undefined;
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
 * Drops KrakenD's comment keys (`"@comment"`, `"$ref"`, `"_note"`, `"#"`…), which its schema allows
 * in every object, so strict sections accept them. Queue arguments are passed through untouched.
 */
function stripCommentKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripCommentKeys);
  if (!value || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !COMMENT_KEY.test(key))
      .map(([key, item]) => [key, key === "queue_arguments" ? item : stripCommentKeys(item)]),
  );
}
