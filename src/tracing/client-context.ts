/**
 * The `X-Amz-Client-Context` header: how W3C trace context reaches a Lambda function (Lambda hands
 * `custom` to the function as `context.clientContext.custom`).
 *
 * @module
 */

export const CLIENT_CONTEXT_HEADER = "X-Amz-Client-Context";
/** Lambda's limit on the header value: the base64 text, in bytes. */
export const CLIENT_CONTEXT_LIMIT_BYTES = 3583;

/** What was left out to keep the header within the limit (the `part` label of the metric). */
export type DroppedTraceContextPart = "tracestate" | "context";

export interface ClientContextHeader {
  /** The header value; `undefined` when even the `traceparent` alone does not fit. */
  value: string | undefined;
  dropped: DroppedTraceContextPart | undefined;
}

const base64Length = (bytes: number): number => Math.ceil(bytes / 3) * 4;

function customJson(traceparent: string, tracestate: string | undefined): string {
  const parent = JSON.stringify(traceparent);
  return tracestate === undefined
    ? `{"custom":{"traceparent":${parent}}}`
    : `{"custom":{"traceparent":${parent},"tracestate":${JSON.stringify(tracestate)}}}`;
}

/**
 * Base64 of `{"custom":{"traceparent":…,"tracestate":…}}`, at most `limitBytes` long: when it would
 * be longer, `tracestate` is dropped first, then the whole context (no header); `dropped` says which.
 */
export function clientContextHeader(
  traceparent: string,
  tracestate: string | undefined,
  limitBytes = CLIENT_CONTEXT_LIMIT_BYTES,
): ClientContextHeader {
  let dropped: DroppedTraceContextPart | undefined;
  let json = customJson(traceparent, tracestate);
  let bytes = Buffer.byteLength(json);
  if (tracestate !== undefined && base64Length(bytes) > limitBytes) {
    dropped = "tracestate";
    json = customJson(traceparent, undefined);
    bytes = Buffer.byteLength(json);
  }
  if (base64Length(bytes) > limitBytes) return { value: undefined, dropped: "context" };
  return { value: Buffer.from(json).toString("base64"), dropped };
}
