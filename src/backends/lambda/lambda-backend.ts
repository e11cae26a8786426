import type { EventFormat, InvokeClient, LargePayloadSettings } from "../../config/types.js";
import type {
  Backend,
  CallTarget,
  Failure,
  MessageOutcome,
  OutgoingMessage,
  SendExtras,
  SendReport,
} from "../backend.js";
import { bodyPayload, toBasicProperties, UnrepresentableMessageError } from "./event.js";
import {
  type EventEnvelope,
  encodedMessageLength,
  encodeEventMessage,
  eventPayload,
  payloadShare,
  releaseBody,
} from "./event-bytes.js";
import { createInvoker, type Invoker, MAX_SYNC_PAYLOAD_BYTES } from "./invoke/index.js";
import { badMessage, callReport, readLambdaResponse, storeFailed } from "./lambda-results.js";
import { LargePayload, type Orphan } from "./large-payload/large-payload.js";
import { createS3PayloadStore, type PayloadStore } from "./large-payload/s3-payload-store.js";

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
  /** `large_payload`: bodies too large for an invocation go to S3 (`undefined`: never). */
  largePayload?: LargePayloadSettings | undefined;
  /** An uploaded body the agent could not delete (metrics, log). */
  onOrphan?: (orphan: Orphan) => void;
  /** The agent publishes replies: each message's reply is read from the response (`replies`). */
  replies?: boolean;
  /** Tests: an invoker of their own, a payload store of their own. */
  invoker?: Invoker;
  payloadStore?: PayloadStore;
  env?: NodeJS.ProcessEnv;
}

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
  const maxBatchBytes = MAX_SYNC_PAYLOAD_BYTES - envelope.head.byteLength - envelope.tail.byteLength;
  /** The most a batch's messages may add (`rmq`: one separator fewer than messages). */
  const maxShares = eventFormat === "body" ? MAX_SYNC_PAYLOAD_BYTES : maxBatchBytes + 1;
  const largePayload = largePayloadOf(options, {
    eventFormat,
    maxShare: maxShares,
    fullShare: (out) =>
      eventFormat === "body"
        ? out.message.content.byteLength
        : encodedMessageLength(out.message, out.origin) + 1,
  });
  const callTarget: CallTarget = { kind: "lambda", functionName: options.functionName };

  /** A message's JSON in the `rmq` event, built on first use; from then on the only copy of a large body. */
  function encoded(out: OutgoingMessage): Buffer {
    const known = encodedOf.get(out);
    if (known) return known;
    const bytes = encodeEventMessage(out.message, out.origin);
    encodedOf.set(out, bytes);
    releaseBody(out.message, bytes, out.origin);
    return bytes;
  }

  function payloadPart(out: OutgoingMessage, pointer?: Buffer): { bytes: Buffer } | { failure: Failure } {
    const { message } = out;
    if (pointer) return { bytes: pointer };
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

  /** A message the event cannot carry, found before anything is uploaded for it. */
  function unsendable(out: OutgoingMessage): Failure | undefined {
    if (eventFormat === "body") {
      const body = bodyPayload(out.message);
      return body.ok ? undefined : badMessage("InvalidJsonBody", body.reason);
    }
    if (encodedOf.has(out)) return undefined;
    try {
      toBasicProperties(out.message.properties, 0);
      return undefined;
    } catch (thrown) {
      const reason = thrown instanceof Error ? thrown.message : "unknown";
      return badMessage("UnrepresentableMessage", `the message cannot be put in an event: ${reason}`);
    }
  }

  async function send(batch: readonly OutgoingMessage[], extras?: SendExtras): Promise<SendReport> {
    const results = new Map<number, MessageOutcome>();
    let pointers = new Map<OutgoingMessage, Buffer>();
    if (largePayload) {
      const sendable: OutgoingMessage[] = [];
      for (const out of batch) {
        const failure = unsendable(out);
        if (failure) results.set(out.id, { kind: "failed", failure, scope: "message" });
        else sendable.push(out);
      }
      const startedAt = performance.now();
      const prepared = await largePayload.prepare(sendable, maxShares);
      if ("failure" in prepared) return storeFailed(sendable, prepared.failure, startedAt, results);
      pointers = prepared.parts;
      batch = sendable;
    }
    const live: OutgoingMessage[] = [];
    const parts: Buffer[] = [];
    for (const out of batch) {
      const part = payloadPart(out, pointers.get(out));
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
    const traced = extras?.trace?.startCall(callTarget);
    const startedAt = performance.now();
    const outcome = await invoker.invoke(payload.chunks, payload.byteLength, traced?.headers);
    const call = callReport(outcome, startedAt);
    traced?.end(call);
    if (outcome.kind === "ok") {
      readLambdaResponse(
        {
          live,
          payload: outcome.payload,
          durationMs: outcome.durationMs,
          eventFormat,
          replies: options.replies === true,
          wholePayload: eventFormat === "body" || options.batchSize === 1,
        },
        results,
      );
    } else if (outcome.kind === "too_large" && live.length > 1) {
      for (const out of live) results.set(out.id, { kind: "split" });
    } else {
      for (const out of live)
        results.set(out.id, { kind: "failed", failure: outcome, scope: call.scope ?? "systemic" });
    }
    return { results, call };
  }

  return {
    label: options.functionName,
    batchSize: options.batchSize,
    batchWindowMs: options.batchWindowMs,
    maxRetries: options.maxRetries,
    maxBatchBytes,
    sizeOf(out) {
      if (largePayload) return largePayload.sizeOf(out);
      if (eventFormat === "body") return out.message.content.byteLength;
      try {
        return payloadShare(encoded(out));
      } catch {
        return 0;
      }
    },
    send,
    released: (out) => largePayload?.released(out),
    async close() {
      invoker.close();
      await largePayload?.close();
    },
  };
}

/** The claim check, when `large_payload` is configured. */
function largePayloadOf(
  options: LambdaBackendOptions,
  sizes: Pick<ConstructorParameters<typeof LargePayload>[0], "eventFormat" | "maxShare" | "fullShare">,
): LargePayload | undefined {
  const settings = options.largePayload;
  if (!settings) return undefined;
  const store =
    options.payloadStore ??
    createS3PayloadStore({
      settings,
      lambdaRegion: options.region,
      requestTimeoutMs: Math.max(options.timeoutMs, 30_000),
      env: options.env ?? process.env,
    });
  return new LargePayload({ ...sizes, settings, store, onOrphan: options.onOrphan ?? (() => {}) });
}
