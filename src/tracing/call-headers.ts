/**
 * The headers that carry the trace context into one backend call: `X-Amz-Client-Context` and
 * `X-Amzn-Trace-Id` for a Lambda function, `traceparent` and `tracestate` for an HTTP backend.
 *
 * @module
 */
import { formatTraceparent } from "../shared/traceparent.js";
import {
  CLIENT_CONTEXT_HEADER,
  clientContextHeader,
  type DroppedTraceContextPart,
} from "./client-context.js";
import { TRACEPARENT_HEADER, TRACESTATE_HEADER } from "./message-trace-headers.js";
import { XRAY_TRACE_HEADER, xrayTraceHeader } from "./xray-trace-header.js";

/** The context a call is made in: the ids the callee sees as its parent, and the `tracestate` to forward. */
export interface OutgoingTraceContext {
  traceId: string;
  /** The CLIENT span's id when spans are recorded, else a fresh random one: never the publisher's. */
  spanId: string;
  sampled: boolean;
  /** Already trimmed by the W3C rules. */
  tracestate: string | undefined;
}

/** Which kind of backend a call goes to: it decides the headers. */
export type BackendKind = "lambda" | "http";

export interface CallHeaders {
  /** For `SendExtras.headers`; `undefined` when there is nothing to send. */
  headers: Readonly<Record<string, string>> | undefined;
  /** What did not fit Lambda's client-context limit (count it in `trace_context_dropped_total{part}`). */
  dropped: DroppedTraceContextPart | undefined;
}

/** The headers for one call to a backend of `kind`; `nowMs` decides whether X-Ray accepts the trace id. */
export function callHeaders(kind: BackendKind, context: OutgoingTraceContext, nowMs: number): CallHeaders {
  const traceparent = formatTraceparent(context.traceId, context.spanId, context.sampled);
  if (kind === "http") {
    const headers: Record<string, string> = { [TRACEPARENT_HEADER]: traceparent };
    if (context.tracestate !== undefined) headers[TRACESTATE_HEADER] = context.tracestate;
    return { headers, dropped: undefined };
  }
  const clientContext = clientContextHeader(traceparent, context.tracestate);
  const xray = xrayTraceHeader(context.traceId, context.spanId, context.sampled, nowMs);
  if (clientContext.value === undefined && xray === undefined)
    return { headers: undefined, dropped: clientContext.dropped };
  const headers: Record<string, string> = {};
  if (clientContext.value !== undefined) headers[CLIENT_CONTEXT_HEADER] = clientContext.value;
  if (xray !== undefined) headers[XRAY_TRACE_HEADER] = xray;
  return { headers, dropped: clientContext.dropped };
}
