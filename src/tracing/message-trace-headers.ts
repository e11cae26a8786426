/**
 * The W3C trace context a publisher put in a message's AMQP headers (`traceparent`, `tracestate`),
 * read without trusting it: a value is a string or bytes, anything else or anything malformed is
 * ignored.
 *
 * @module
 */
import {
  parseTraceparent,
  parseTraceparentExact,
  TRACEPARENT_LENGTH,
  type Traceparent,
} from "../shared/traceparent.js";
import { TRACESTATE_MAX_INPUT_CHARS, trimTracestate } from "./tracestate.js";

export const TRACEPARENT_HEADER = "traceparent";
export const TRACESTATE_HEADER = "tracestate";

/** A header table as amqplib decodes it (own keys only are read: a `__proto__` table lends nothing). */
export type AmqpHeaders = Readonly<Record<string, unknown>> | null | undefined;

function ownValue(headers: AmqpHeaders, name: string): unknown {
  return headers && Object.hasOwn(headers, name) ? headers[name] : undefined;
}

/** The message's `traceparent`, parsed; `undefined` when absent or malformed. */
export function extractTraceparent(headers: AmqpHeaders): Traceparent | undefined {
  const value = ownValue(headers, TRACEPARENT_HEADER);
  if (typeof value === "string") return parseTraceparent(value);
  if (!(value instanceof Uint8Array) || value.byteLength < TRACEPARENT_LENGTH) return undefined;
  // One character past the first 55 is enough to apply every rule (version 00 ends there, later
  // versions go on only after a dash), so a long value is never decoded whole.
  const end = Math.min(value.byteLength, TRACEPARENT_LENGTH + 1);
  return parseTraceparentExact(Buffer.from(value.buffer, value.byteOffset, end).toString("latin1"));
}

/**
 * The message's `tracestate` as it may be forwarded (validated, trimmed to 32 members and 512
 * characters); `undefined` when absent, malformed or empty. Only meaningful with a valid `traceparent`.
 */
export function extractTracestate(headers: AmqpHeaders): string | undefined {
  const value = ownValue(headers, TRACESTATE_HEADER);
  if (typeof value === "string") return trimTracestate(value);
  if (!(value instanceof Uint8Array) || value.byteLength > TRACESTATE_MAX_INPUT_CHARS) return undefined;
  return trimTracestate(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("latin1"));
}
