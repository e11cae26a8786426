import type { EventFormat } from "../../config/types.js";
import type { CallReport, Failure, MessageOutcome, OutgoingMessage, SendReport } from "../backend.js";
import { failureScope } from "../failure-scope.js";
import { JSON_RESPONSE, readBatchResponse, responseJson } from "./batch-response.js";
import type { InvokeOutcome } from "./invoke/index.js";
import { repliesOf } from "./reply-bytes.js";

/**
 * What a successful invocation answered, per message: every message succeeded (`body` events),
 * or the partial-batch response says which failed (`rmq`).
 */
export function readLambdaResponse(
  call: {
    live: readonly OutgoingMessage[];
    payload: Uint8Array | undefined;
    durationMs: number;
    eventFormat: EventFormat;
    /** The agent publishes replies: each message's own reply is read from the response. */
    replies: boolean;
    /** One message per invocation (or `body` events): the payload itself is the reply. */
    wholePayload: boolean;
  },
  results: Map<number, MessageOutcome>,
): void {
  const { live, payload, durationMs, eventFormat } = call;
  const tags = new Map(live.map((out) => [String(out.message.fields.deliveryTag), out]));
  const whole = { body: payload, contentType: JSON_RESPONSE };
  // Parsed once: the replies and the partial-batch response read the same JSON.
  const json = call.replies || eventFormat !== "body" ? responseJson(payload) : undefined;
  const replies = call.replies ? repliesOf(payload, [...tags.keys()], call.wholePayload, json) : undefined;
  const responseOf = (tag: string) => replies?.get(tag) ?? whole;
  if (eventFormat === "body") {
    for (const [tag, out] of tags) results.set(out.id, { kind: "succeeded", response: responseOf(tag) });
    return;
  }
  const read = readBatchResponse(payload, new Set(tags.keys()), json);
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

/** An upload failed: the call is not made; every message fails with the platform's failure. */
export function storeFailed(
  batch: readonly OutgoingMessage[],
  failure: Failure,
  startedAt: number,
  results: Map<number, MessageOutcome>,
): SendReport {
  for (const out of batch) results.set(out.id, { kind: "failed", failure, scope: "systemic" });
  const call: CallReport = {
    outcome: failure.kind,
    failure,
    scope: "systemic",
    reason: failure.errorType,
    startedAt,
    durationMs: failure.durationMs,
  };
  return { results, call };
}

export function callReport(outcome: InvokeOutcome, startedAt: number): CallReport {
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

export function badMessage(errorType: string, message: string): Failure {
  return { kind: "bad_message", errorType, message, durationMs: 0 };
}
