/**
 * The W3C Trace Context `traceparent` value (https://www.w3.org/TR/trace-context/): parsed and
 * formatted. Shared by the agent and the Lambda-side middleware, so it imports nothing.
 *
 * @module
 */

/** What a valid `traceparent` says: lowercase hex ids (32 and 16 digits, never all zeros), the sampled flag. */
export interface Traceparent {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

/** `version-traceid-spanid-flags`: 2 + 1 + 32 + 1 + 16 + 1 + 2 characters. */
export const TRACEPARENT_LENGTH = 55;

const DASH = 0x2d;

/** The value of a lowercase hex digit, or -1. */
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

/** True when `value[from, to)` is lowercase hex with at least one non-zero digit. */
function isNonZeroHex(value: string, from: number, to: number): boolean {
  let nonZero = false;
  for (let i = from; i < to; i += 1) {
    const digit = hexValue(value.charCodeAt(i));
    if (digit < 0) return false;
    if (digit > 0) nonZero = true;
  }
  return nonZero;
}

/**
 * Parses a `traceparent` exactly as given (no white space around it). Version `00` must be exactly
 * 55 characters; a later version (anything but `ff`) is read by its first 55 characters, and may go
 * on only after a `-` (the spec's rule for versions it does not know yet). Anything else, uppercase
 * hex, or an all-zero id gives `undefined`: a malformed value is ignored, never an error.
 */
export function parseTraceparentExact(value: string): Traceparent | undefined {
  const length = value.length;
  if (length < TRACEPARENT_LENGTH) return undefined;
  const high = hexValue(value.charCodeAt(0));
  const low = hexValue(value.charCodeAt(1));
  if (high < 0 || low < 0 || (high === 15 && low === 15)) return undefined;
  const version = high * 16 + low;
  if (
    version === 0
      ? length !== TRACEPARENT_LENGTH
      : length > TRACEPARENT_LENGTH && value.charCodeAt(55) !== DASH
  )
    return undefined;
  if (value.charCodeAt(2) !== DASH || value.charCodeAt(35) !== DASH || value.charCodeAt(52) !== DASH)
    return undefined;
  if (!isNonZeroHex(value, 3, 35) || !isNonZeroHex(value, 36, 52)) return undefined;
  const flagsHigh = hexValue(value.charCodeAt(53));
  const flagsLow = hexValue(value.charCodeAt(54));
  if (flagsHigh < 0 || flagsLow < 0) return undefined;
  return { traceId: value.slice(3, 35), spanId: value.slice(36, 52), sampled: (flagsLow & 1) === 1 };
}

const isBlank = (code: number): boolean => code === 0x20 || code === 0x09;
const BLANK_ENDS = /^[ \t]+|[ \t]+$/g;

/**
 * `value` without the spaces and tabs around it (HTTP's optional white space, which the W3C trace
 * context headers allow); the same string, unchanged and not copied, when there are none.
 */
export function trimHttpWhitespace(value: string): string {
  const length = value.length;
  if (length === 0 || (!isBlank(value.charCodeAt(0)) && !isBlank(value.charCodeAt(length - 1)))) return value;
  return value.replace(BLANK_ENDS, "");
}

/** {@link parseTraceparentExact} after removing spaces and tabs around the value (HTTP's optional white space). */
export function parseTraceparent(value: string): Traceparent | undefined {
  return parseTraceparentExact(trimHttpWhitespace(value));
}

/** A version `00` `traceparent`. The ids must already be valid (lowercase hex, 32 and 16 digits). */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
}
