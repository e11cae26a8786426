import type { EventFormat, InvokeClient } from "../../config/types.js";
import type {
  Backend,
  CallReport,
  Failure,
  MessageOutcome,
  OutgoingMessage,
  SendExtras,
  SendReport,
} from "../backend.js";
import { failureScope } from "../failure-scope.js";
import { readBatchResponse } from "./batch-response.js";
import { bodyPayload, UnrepresentableMessageError } from "./event.js";
import {
  type EventEnvelope,
  encodeEventMessage,
  eventPayload,
  payloadShare,
  releaseBody,
} from "./event-bytes.js";
import { createInvoker, type InvokeOutcome, type Invoker, MAX_SYNC_PAYLOAD_BYTES } from "./invoke/index.js";
import { repliesOf } from "./reply-bytes.js";

export interface LambdaBackendOptions {
  functionName: string;
  region: string | undefined;
  endpoint: string | undefined;
  client: InvokeClient;
  eventFormat: EventFormat;
  batchSize: number;
  batchWindowMs: number;
  maxRetries: number;
  timeoutMs: number;
  /** Concurrent calls = keep-alive sockets (`workers`). */
  sockets: number;
  /** The `aws:rmq` event around the messages (queue, vhost, source ARN). */
  envelope: EventEnvelope;
  /** The agent publishes replies: each message's reply is read from the response (`replies`). */
  replies?: boolean;
  /** Tests: an invoker of their own. */
  invoker?: Invoker;
}

const JSON_RESPONSE = "application/json";

/**
 * A Lambda function as a backend: each message's event JSON is built once and reused by every
 * attempt (`rmq`), or its body is the payload (`body`); the response is read as a partial-batch
 * response (`batchItemFailures`) for `rmq` events. Never throws: a message it cannot represent
 * fails on its own (permanently), the others still go.
 */
export function createLambdaBackend(options: LambdaBackendOptions): Backend {
  const { envelope, eventFormat } = options;
  const invoker =
    options.invoker ??
    createInvoker({
      functionName: options.functionName,
      region: options.region,
      endpoint: options.endpoint,
      timeoutMs: options.timeoutMs,
      sockets: options.sockets,
      client: options.client,
    });
  const encodedOf = new WeakMap<OutgoingMessage, Buffer>();

  /** A message's JSON in the `rmq` event, built on first use; from then on the only copy of a large body. */
  function encoded(out: OutgoingMessage): Buffer {
    const known = encodedOf.get(out);
    if (known) return known;
    const bytes = encodeEventMessage(out.message, out.origin);
    encodedOf.set(out, bytes);
    releaseBody(out.message, bytes, out.origin);
    return bytes;
  }

  function payloadPart(out: OutgoingMessage): { bytes: Buffer } | { failure: Failure } {
    const { message } = out;
    if (eventFormat === "body") {
      const body = bodyPayload(message);
      if (body.ok) return { bytes: message.content };
      return { failure: badMessage("InvalidJsonBody", body.reason) };
    }
    try {
      return { bytes: encoded(out) };
    } catch (thrown) {
      const reason =
        thrown instanceof UnrepresentableMessageError ? thrown.message : String((thrown as Error)?.message);
      return {
        failure: badMessage("UnrepresentableMessage", `the message cannot be put in an event: ${reason}`),
      };
    }
  }

  async function send(batch: readonly OutgoingMessage[], extras?: SendExtras): Promise<SendReport> {
    const results = new Map<number, MessageOutcome>();
    const live: OutgoingMessage[] = [];
    const parts: Buffer[] = [];
    for (const out of batch) {
      const part = payloadPart(out);
      if ("failure" in part) {
        results.set(out.id, { kind: "failed", failure: part.failure, scope: "message" });
        continue;
      }
      live.push(out);
      parts.push(part.bytes);
    }
    if (live.length === 0) return { results, call: undefined };
    const payload =
      eventFormat === "body"
        ? { chunks: parts, byteLength: (parts[0] as Buffer).byteLength }
        : eventPayload(envelope, parts);
    const startedAt = performance.now();
    const outcome = await invoker.invoke(payload.chunks, payload.byteLength, extras?.headers);
    const call = callReport(outcome, startedAt);
    if (outcome.kind === "ok") {
      readResponse(live, outcome.payload, outcome.durationMs, results);
    } else if (outcome.kind === "too_large" && live.length > 1) {
      for (const out of live) results.set(out.id, { kind: "split" });
    } else {
      for (const out of live)
        results.set(out.id, { kind: "failed", failure: outcome, scope: call.scope ?? "systemic" });
    }
    return { results, call };
  }

  function readResponse(
    live: readonly OutgoingMessage[],
    payload: Uint8Array | undefined,
    durationMs: number,
    results: Map<number, MessageOutcome>,
  ): void {
    const tags = new Map(live.map((out) => [String(out.message.fields.deliveryTag), out]));
    const whole = { body: payload, contentType: JSON_RESPONSE };
    const replies = options.replies
      ? repliesOf(payload, [...tags.keys()], eventFormat === "body" || options.batchSize === 1)
      : undefined;
    const responseOf = (tag: string) => replies?.get(tag) ?? whole;
    if (eventFormat === "body") {
      for (const [tag, out] of tags) results.set(out.id, { kind: "succeeded", response: responseOf(tag) });
      return;
    }
    const read = readBatchResponse(payload, new Set(tags.keys()));
    if ("invalid" in read) {
      const failure: Failure = {
        kind: "invalid_response",
        errorType: "InvalidBatchResponse",
        message: read.invalid,
        durationMs,
      };
      for (const out of live) results.set(out.id, { kind: "failed", failure, scope: "ambiguous" });
      return;
    }
    for (const [tag, out] of tags) {
      if (!read.failed.has(tag)) {
        results.set(out.id, { kind: "succeeded", response: responseOf(tag) });
        continue;
      }
      const failure: Failure = {
        kind: "item_failure",
        errorType: "BatchItemFailure",
        message: `the function reported message ${tag} as failed`,
        durationMs,
      };
      results.set(out.id, { kind: "failed", failure, scope: "ambiguous" });
    }
  }

  return {
    label: options.functionName,
    callTarget: { kind: "lambda", functionName: options.functionName },
    batchSize: options.batchSize,
    batchWindowMs: options.batchWindowMs,
    maxRetries: options.maxRetries,
    maxBatchBytes: MAX_SYNC_PAYLOAD_BYTES - envelope.head.byteLength - envelope.tail.byteLength,
    sizeOf(out) {
      if (eventFormat === "body") return out.message.content.byteLength;
      try {
        return payloadShare(encoded(out));
      } catch {
        return 0;
      }
    },
    send,
    close: () => invoker.close(),
  };
}

function callReport(outcome: InvokeOutcome, startedAt: number): CallReport {
  const { requestId } = outcome;
  if (outcome.kind === "ok") {
    return {
      outcome: "ok",
      failure: undefined,
      scope: undefined,
      reason: "",
      startedAt,
      durationMs: outcome.durationMs,
      requestId,
    };
  }
  return {
    outcome: outcome.kind,
    failure: outcome,
    scope: failureScope(outcome),
    reason: `${outcome.errorType}${outcome.reason ? ` (${outcome.reason})` : ""}`,
    startedAt,
    durationMs: outcome.kind === "too_large" ? undefined : outcome.durationMs,
    requestId,
  };
}

function badMessage(errorType: string, message: string): Failure {
  return { kind: "bad_message", errorType, message, durationMs: 0 };
}
