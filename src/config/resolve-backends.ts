import { ConfigError } from "../errors.js";
import { resolveHttpBackend } from "./resolve-http-backend.js";
import type { RawAgent } from "./schema.js";
import type { AgentConfig, BackendConfig, LambdaSettings } from "./types.js";

export interface BackendsContext {
  /** The file's root `host` list (KrakenD's hosts of a backend that lists none). */
  rootHosts: readonly string[];
  consumerTimeoutMs: number;
}

type RawLambda = NonNullable<NonNullable<RawAgent["backend"][number]["extra_config"]>["backend/lambda"]>;

/**
 * An agent's backend entries, in order: one with `extra_config["backend/lambda"]` is a Lambda
 * function, any other an HTTP backend read with KrakenD's fields. Batches need a single backend;
 * with several, each message goes to each backend that wants it (in parallel, or in order with
 * `extra_config.proxy.sequential`).
 */
export function resolveBackends(
  raw: RawAgent,
  at: string,
  context: BackendsContext,
): { backends: BackendConfig[]; delivery: AgentConfig["delivery"]; secrets: string[] } {
  if (raw.backend.length === 0) {
    throw new ConfigError(
      `${at}.backend`,
      'lists no backend; add one with extra_config["backend/lambda"] (a Lambda function) or "host" and "url_pattern" (an HTTP endpoint)',
    );
  }
  const secrets: string[] = [];
  const backends = raw.backend.map((entry, index): BackendConfig => {
    const entryAt = `${at}.backend[${index}]`;
    const lambda = entry.extra_config?.["backend/lambda"];
    if (lambda)
      return {
        kind: "lambda",
        at: `${entryAt}.extra_config["backend/lambda"]`,
        lambda: lambdaSettings(lambda),
      };
    const resolved = resolveHttpBackend(entry, entryAt, context);
    secrets.push(...resolved.secrets);
    return {
      kind: "http",
      at: entryAt,
      http: resolved.config,
      notes: resolved.notes,
      warnings: resolved.warnings,
    };
  });
  const sequential = raw.extra_config.proxy?.sequential === true;
  const only = backends.length === 1 ? backends[0] : undefined;
  if (!only) {
    for (const backend of backends) {
      if (backend.kind === "lambda" && backend.lambda.batchSize > 1) {
        throw new ConfigError(
          `${backend.at}.batch_size`,
          "batches need a single backend: with several, each message is sent on its own; remove batch_size or the other backends",
        );
      }
    }
  }
  const delivery = {
    batchSize: only?.kind === "lambda" ? only.lambda.batchSize : 1,
    batchWindowMs: only?.kind === "lambda" ? only.lambda.batchWindowMs : 0,
    maxRetries: Math.max(
      ...backends.map((b) => (b.kind === "lambda" ? b.lambda.maxRetries : b.http.maxRetries)),
    ),
    sequential,
  };
  return { backends, delivery, secrets };
}

function lambdaSettings(lambda: RawLambda): LambdaSettings {
  return {
    functionName: lambda.function_name,
    region: lambda.region,
    endpoint: lambda.endpoint,
    maxRetries: lambda.max_retries,
    batchSize: lambda.batch_size,
    batchWindowMs: lambda.batch_window,
    eventFormat: lambda.event_format,
    filterPatterns: lambda.filter_patterns,
    client: lambda.client,
    largePayload: largePayloadSettings(lambda.large_payload),
  };
}

function largePayloadSettings(raw: RawLambda["large_payload"]): LambdaSettings["largePayload"] {
  if (!raw) return undefined;
  return {
    bucket: raw.bucket,
    keyPrefix: raw.key_prefix,
    threshold: raw.threshold,
    always: raw.always,
    region: raw.region,
    endpoint: raw.endpoint,
    forcePathStyle: raw.force_path_style,
    cleanup: raw.cleanup,
    sse: raw.sse,
    kmsKeyId: raw.kms_key_id,
  };
}
