import type { RabbitMQHeaderValue } from "../event/rabbitmq-event.js";
import type { RabbitMQParsedHeaders, RabbitMQParsedHeaderValue } from "./parsed-event-types.js";

const isByte = (value: unknown): boolean =>
  Number.isInteger(value) && (value as number) >= -128 && (value as number) <= 255;

/**
 * True for the `{ "bytes": [...] }` encoding of a string: an object whose only key is `bytes`,
 * holding integers that fit a byte (signed, as Java sends them, or unsigned).
 */
export function isHeaderBytes(value: unknown): value is { bytes: number[] } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const bytes = (value as { bytes?: unknown }).bytes;
  return keys.length === 1 && keys[0] === "bytes" && Array.isArray(bytes) && bytes.every(isByte);
}

/** Decodes one header value: `{ bytes }` becomes a UTF-8 string, arrays and tables are decoded recursively. */
export function decodeHeaderValue(value: RabbitMQHeaderValue | undefined): RabbitMQParsedHeaderValue {
  if (value === undefined || value === null) return null;
  if (isHeaderBytes(value)) return Buffer.from(value.bytes).toString("utf8");
  if (Array.isArray(value)) return value.map(decodeHeaderValue);
  if (typeof value === "object") return decodeHeaders(value);
  return value;
}

/**
 * Decodes a header table; `null` or missing headers give `{}`. Keys such as `__proto__` are kept as
 * plain own properties.
 */
export function decodeHeaders(
  headers: Record<string, RabbitMQHeaderValue> | null | undefined,
): RabbitMQParsedHeaders {
  if (headers === null || headers === undefined) return {};
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, decodeHeaderValue(value)]));
}
