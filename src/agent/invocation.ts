import type { AgentConfig } from "../config/types.js";
import { readBatchResponse } from "../lambda/batch-response.js";
import { bodyPayload, UnrepresentableMessageError } from "../lambda/event.js";
import {
  type EventEnvelope,
  encodeEventMessage,
  eventPayload,
  payloadShare,
  releaseBody,
} from "../lambda/event-bytes.js";
import type { InvokeOutcome, Invoker } from "../lambda/invoke/index.js";
import type { LogThrottle } from "../observability/log-throttle.js";
import type { Logger } from "../observability/logger.js";
import { type AgentMetrics, invocationResult } from "../observability/metrics.js";
import type { Held } from "./delivery.js";
import { type Failure, type FailureScope, failureScope } from "./failure.js";
import type { RateLimiter } from "./rate-limiter.js";
import { finishAfterChannelLoss } from "./settlement.js";

/** What one invocation came to for one of its messages. */
export type MessageResult =
  | { kind: "succeeded" }
  | { kind: "failed"; failure: Failure; scope: FailureScope }
  /** Lambda refused the batch as too large: the messages go again in smaller batches. */
  | { kind: "split" }
  /** Not invoked: its channel closed and the broker redelivers it. */
  | { kind: "dead_channel" }
  /** Invoked after an earlier message of its ordering key failed in the same batch: it did not count. */
  | { kind: "not_delivered" };

export interface InvocationReport {
  results: Map<Held, MessageResult>;
  /** The Invoke call, when one was made, and when it started (performance.now() ms). */
  call: { outcome: InvokeOutcome; startedAt: number } | undefined;
}

/**
 * Runs one invocation for a batch: builds the payload (each message's event JSON is built once and
 * reused by every attempt), invokes the function, and reports the result of every message.
 * Never throws: a message it cannot represent fails on its own (permanently), the others still go.
 */
export class Invocation {
  constructor(
    private readonly config: AgentConfig,
    private readonly invoker: Invoker,
    private readonly envelope: EventEnvelope,
    private readonly limiter: RateLimiter,
    private readonly metrics: AgentMetrics,
    private readonly log: Logger,
    private readonly throttle: LogThrottle,
  ) {}

  /** Bytes a message adds to an `rmq` payload (building its JSON); 0 when it cannot be represented. */
  sizeOf(held: Held): number {
    if (this.config.lambda.eventFormat === "body") return held.delivery.message.content.byteLength;
    try {
      return payloadShare(encoded(held));
    } catch {
      return 0;
    }
  }

  async run(batch: readonly Held[]): Promise<InvocationReport> {
    const results = new Map<Held, MessageResult>();
    const keepDead = finishAfterChannelLoss(this.config.amqp);
    const live: Held[] = [];
    const parts: Buffer[] = [];
    for (const held of batch) {
      if (!keepDead && !held.delivery.session.alive) {
        results.set(held, { kind: "dead_channel" });
        continue;
      }
      const part = this.payloadPart(held);
      if ("failure" in part) {
        results.set(held, { kind: "failed", failure: part.failure, scope: "message" });
        continue;
      }
      live.push(held);
      parts.push(part.bytes);
    }
    if (live.length === 0) return { results, call: undefined };
    const payload =
      this.config.lambda.eventFormat === "body"
        ? { chunks: parts, byteLength: (parts[0] as Buffer).byteLength }
        : eventPayload(this.envelope, parts);
    await this.limiter.acquire(live.length);
    const startedAt = performance.now();
    const outcome = await this.invoker.invoke(payload.chunks, payload.byteLength);
    this.record(outcome);
    if (outcome.kind === "ok") {
      this.readResponse(live, outcome.payload, outcome.durationMs, results);
    } else if (outcome.kind === "too_large" && live.length > 1) {
      for (const held of live) results.set(held, { kind: "split" });
    } else {
      this.throttle.warn(
        this.log,
        `invoke:${outcome.kind}:${outcome.errorType}`,
        { outcome: outcome.kind, errorType: outcome.errorType, reason: outcome.reason, batch: live.length },
        `invocation of ${this.config.lambda.functionName} failed: ${outcome.errorType}: ${outcome.message}`,
      );
      const scope = failureScope(outcome);
      for (const held of live) results.set(held, { kind: "failed", failure: outcome, scope });
    }
    return { results, call: { outcome, startedAt } };
  }

  private payloadPart(held: Held): { bytes: Buffer } | { failure: Failure } {
    const { message } = held.delivery;
    if (this.config.lambda.eventFormat === "body") {
      const body = bodyPayload(message);
      if (body.ok) return { bytes: message.content };
      return { failure: badMessage("InvalidJsonBody", body.reason) };
    }
    try {
      return { bytes: encoded(held) };
    } catch (thrown) {
      const reason =
        thrown instanceof UnrepresentableMessageError ? thrown.message : String((thrown as Error)?.message);
      return {
        failure: badMessage("UnrepresentableMessage", `the message cannot be put in an event: ${reason}`),
      };
    }
  }

  private readResponse(
    live: readonly Held[],
    payload: Uint8Array | undefined,
    durationMs: number,
    results: Map<Held, MessageResult>,
  ): void {
    if (this.config.lambda.eventFormat === "body") {
      for (const held of live) results.set(held, { kind: "succeeded" });
      return;
    }
    const tags = new Map(live.map((held) => [String(held.delivery.message.fields.deliveryTag), held]));
    const response = readBatchResponse(payload, new Set(tags.keys()));
    if ("invalid" in response) {
      this.throttle.error(
        this.log,
        "partial-batch-invalid",
        { reason: response.invalid },
        `whole batch failed: ${response.invalid}`,
      );
      const failure: Failure = {
        kind: "invalid_response",
        errorType: "InvalidBatchResponse",
        message: response.invalid,
        durationMs,
      };
      for (const held of live) results.set(held, { kind: "failed", failure, scope: "ambiguous" });
      return;
    }
    for (const [tag, held] of tags) {
      if (!response.failed.has(tag)) {
        results.set(held, { kind: "succeeded" });
        continue;
      }
      const failure: Failure = {
        kind: "item_failure",
        errorType: "BatchItemFailure",
        message: `the function reported message ${tag} as failed`,
        durationMs,
      };
      results.set(held, { kind: "failed", failure, scope: "ambiguous" });
    }
  }

  private record(outcome: InvokeOutcome): void {
    this.metrics.invocation(invocationResult(outcome.kind)).inc();
    if (outcome.kind !== "too_large") this.metrics.invocationDuration.observe(outcome.durationMs / 1000);
  }
}

/**
 * A message's JSON in the `rmq` event, built on first use and kept for every attempt; from then on
 * the event is the only copy of a large body (`releaseBody`).
 */
function encoded(held: Held): Buffer {
  if (held.encoded) return held.encoded;
  const { message } = held.delivery;
  const bytes = encodeEventMessage(message, held.origin);
  held.encoded = bytes;
  releaseBody(message, bytes, held.origin);
  return bytes;
}

function badMessage(errorType: string, message: string): Failure {
  return { kind: "bad_message", errorType, message, durationMs: 0 };
}
