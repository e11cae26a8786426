/**
 * The trace headers of a copy the agent publishes (dead letter, retry, reply): the current
 * `traceparent` in the message's own trace, replacing whatever the original headers held.
 *
 * @module
 */
import { formatTraceparent, TRACEPARENT_LENGTH } from "../shared/traceparent.js";
import { TRACEPARENT_HEADER, TRACESTATE_HEADER } from "./message-trace-headers.js";
import { TRACESTATE_TARGET_CHARS } from "./tracestate.js";

/** `traceparent`, and `tracestate` when there is one to forward. */
export type CopyTraceHeaders = Readonly<Record<string, string>>;

/**
 * The most the two headers add to a copy's header table, encoded (names, type tags, lengths):
 * within the room `HEADER_BUDGET_BYTES` leaves for the agent's own headers.
 */
export const COPY_TRACE_HEADERS_MAX_BYTES =
  1 +
  TRACEPARENT_HEADER.length +
  5 +
  TRACEPARENT_LENGTH +
  1 +
  TRACESTATE_HEADER.length +
  5 +
  TRACESTATE_TARGET_CHARS;

/** The headers for a copy in trace `traceId` whose parent is span `spanId`; `tracestate` already trimmed. */
export function copyTraceHeaders(
  traceId: string,
  spanId: string,
  sampled: boolean,
  tracestate: string | undefined,
): CopyTraceHeaders {
  const traceparent = formatTraceparent(traceId, spanId, sampled);
  return tracestate === undefined
    ? { [TRACEPARENT_HEADER]: traceparent }
    : { [TRACEPARENT_HEADER]: traceparent, [TRACESTATE_HEADER]: tracestate };
}

/**
 * A copy's header table with the agent's trace headers: the original `traceparent` and `tracestate`
 * are replaced (both, so a `tracestate` never outlives the trace it belongs to). Without trace
 * headers the table is returned as it is. Own keys only are copied (`__proto__` stays a plain key).
 */
export function withTraceHeaders(
  headers: Readonly<Record<string, unknown>>,
  trace: CopyTraceHeaders | undefined,
): Record<string, unknown> {
  if (trace === undefined) return headers as Record<string, unknown>;
  const copy: Record<string, unknown> = { ...headers };
  delete copy[TRACEPARENT_HEADER];
  delete copy[TRACESTATE_HEADER];
  return Object.assign(copy, trace);
}

/** The trace id of a copy's `traceparent` (for log lines); `undefined` without one. */
export function traceIdOf(trace: CopyTraceHeaders | undefined): string | undefined {
  return trace?.[TRACEPARENT_HEADER]?.slice(3, 35);
}
