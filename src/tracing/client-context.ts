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

/** Printable ASCII other than `"` and `\\`: a JSON string of it is the text in quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `traceparent` as `formatTraceparent` writes it (hex digits and dashes: nothing to escape). */
function customJson(traceparent: string, tracestate: string | undefined): { json: string; ascii: boolean } {
  if (tracestate === undefined) return { json: `{"custom":{"traceparent":"${traceparent}"}}`, ascii: true };
  const plain = PLAIN.test(tracestate);
  const state = plain ? `"${tracestate}"` : JSON.stringify(tracestate);
  // JSON.stringify leaves characters beyond ASCII as they are: only the plain case is known to be ASCII.
  return { json: `{"custom":{"traceparent":"${traceparent}","tracestate":${state}}}`, ascii: plain };
}

/**
 * Base64 of `{"custom":{"traceparent":…,"tracestate":…}}` for a `traceparent` formatted by
 * `formatTraceparent`, at most `limitBytes` long: when it would
 * be longer, `tracestate` is dropped first, then the whole context (no header); `dropped` says which.
 */
export function clientContextHeader(
  traceparent: string,
  tracestate: string | undefined,
  limitBytes = CLIENT_CONTEXT_LIMIT_BYTES,
): ClientContextHeader {
  let dropped: DroppedTraceContextPart | undefined;
  let { json, ascii } = customJson(traceparent, tracestate);
  let bytes = ascii ? json.length : Buffer.byteLength(json);
  if (tracestate !== undefined && base64Length(bytes) > limitBytes) {
    dropped = "tracestate";
    ({ json, ascii } = customJson(traceparent, undefined));
    bytes = ascii ? json.length : Buffer.byteLength(json);
  }
  if (base64Length(bytes) > limitBytes) return { value: undefined, dropped: "context" };
  // btoa reads each character as one byte: right for ASCII, and three times faster than a Buffer.
  return { value: ascii ? btoa(json) : Buffer.from(json).toString("base64"), dropped };
}
