/**
 * The `X-Amzn-Trace-Id` header the Lambda Invoke API reads: the W3C trace id rewritten in X-Ray's
 * form, sent only when X-Ray would accept it.
 *
 * @module
 */

export const XRAY_TRACE_HEADER = "X-Amzn-Trace-Id";
/** X-Ray rejects trace ids whose time is older than 30 days. */
export const XRAY_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
/** A trace id from a clock up to 5 minutes ahead is still accepted. */
export const XRAY_MAX_AHEAD_MS = 5 * 60 * 1000;

/**
 * True when the trace id's first 8 hex digits, read as seconds since the epoch (as X-Ray writes
 * them), fall within [now − 30 days, now + 5 minutes], both ends included.
 */
export function isPlausibleXRayEpoch(traceId: string, nowMs: number): boolean {
  const seconds = Number.parseInt(traceId.slice(0, 8), 16);
  if (!Number.isFinite(seconds)) return false;
  const ms = seconds * 1000;
  return ms >= nowMs - XRAY_MAX_AGE_MS && ms <= nowMs + XRAY_MAX_AHEAD_MS;
}

/**
 * `Root=1-<first 8 hex>-<last 24 hex>;Parent=<span id>;Sampled=<0|1>` for a valid W3C trace id and
 * span id, or `undefined` when the trace id's time is not plausible for X-Ray.
 */
export function xrayTraceHeader(
  traceId: string,
  spanId: string,
  sampled: boolean,
  nowMs: number,
): string | undefined {
  if (!isPlausibleXRayEpoch(traceId, nowMs)) return undefined;
  return `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${spanId};Sampled=${sampled ? "1" : "0"}`;
}
