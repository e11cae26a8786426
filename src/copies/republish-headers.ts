import { PUBLISH_ID_HEADER } from "../amqp/confirmed-publish.js";
import { AGENT_HEADERS } from "./agent-headers.js";

/** Room for the original headers in a copy; the agent's own headers need about 2 KB more. */
export const HEADER_BUDGET_BYTES = 48 * 1024;
const MAX_DEPTH = 32;
/** Integers amqplib can write as a signed 64-bit `long`. */
const LONG_LIMIT = 2 ** 63;
/** amqplib treats numbers this large as integers, fraction or not. */
const FRACTION_LIMIT = 2 ** 50;

/**
 * A message's own headers made safe to publish again through the agent's exchange: own keys only;
 * `CC`/`BCC` (which RabbitMQ would route by) kept for the record as `x-agent-original-cc`/`-bcc`;
 * every value in a form amqplib can encode (numbers it would get wrong become explicit doubles);
 * values it cannot encode at all (NaN, a table with a `!` key, a timestamp out of range, nesting
 * deeper than 32) left out; at most `budgetBytes` of encoded headers (amqplib refuses a table over
 * 64 KiB and a header frame must fit): the largest headers are left out first. `x-agent-headers-truncated`
 * names what was left out.
 */
export function republishHeaders(
  original: Record<string, unknown> | undefined,
  budgetBytes = HEADER_BUDGET_BYTES,
): Record<string, unknown> {
  const kept: Array<{ name: string; value: unknown; bytes: number }> = [];
  const dropped: string[] = [];
  for (const key of original ? Object.keys(original) : []) {
    if (key === PUBLISH_ID_HEADER) continue;
    const name = key === "CC" ? AGENT_HEADERS.cc : key === "BCC" ? AGENT_HEADERS.bcc : key;
    const encodable = toEncodable((original as Record<string, unknown>)[key], 1);
    if (encodable === undefined) dropped.push(key);
    else kept.push({ name, value: encodable.value, bytes: encodable.bytes + 1 + Buffer.byteLength(name) });
  }
  let total = kept.reduce((sum, entry) => sum + entry.bytes, 0);
  if (total > budgetBytes) {
    kept.sort((a, b) => b.bytes - a.bytes);
    while (total > budgetBytes && kept.length > 0) {
      const largest = kept.shift() as (typeof kept)[number];
      dropped.push(largest.name);
      total -= largest.bytes;
    }
  }
  const headers = ownTable(kept.map(({ name, value }) => [name, value]));
  if (dropped.length > 0) {
    const names = dropped.map((name) => JSON.stringify(name.slice(0, 64))).join(", ");
    headers[AGENT_HEADERS.headersTruncated] =
      `${dropped.length} original header(s) left out (not encodable, nested deeper than ${MAX_DEPTH} levels, or over ${budgetBytes} bytes in all): ${names}`.slice(
        0,
        1000,
      );
  }
  return headers;
}

interface Encodable {
  value: unknown;
  /** Encoded size: type tag plus value (upper bound). */
  bytes: number;
}

/** A value amqplib's table encoder accepts, and its size; `undefined` when there is none. */
function toEncodable(value: unknown, depth: number): Encodable | undefined {
  if (value === null) return { value: null, bytes: 1 };
  switch (typeof value) {
    case "string":
      return { value, bytes: 5 + Buffer.byteLength(value) };
    case "boolean":
      return { value, bytes: 2 };
    case "number":
      return encodableNumber(value);
    case "object":
      break;
    default:
      return undefined;
  }
  if (depth > MAX_DEPTH) return undefined;
  if (Buffer.isBuffer(value)) return { value, bytes: 5 + value.byteLength };
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    let bytes = 5;
    for (const item of value) {
      const encodable = toEncodable(item, depth + 1);
      if (encodable === undefined) return undefined;
      items.push(encodable.value);
      bytes += encodable.bytes;
    }
    return { value: items, bytes };
  }
  if (Object.hasOwn(value, "!")) return typedValue(value as { "!": unknown; value?: unknown });
  const entries: Array<[string, unknown]> = [];
  let bytes = 5;
  for (const key of Object.keys(value)) {
    const encodable = toEncodable((value as Record<string, unknown>)[key], depth + 1);
    if (encodable === undefined) return undefined;
    entries.push([key, encodable.value]);
    bytes += 1 + Buffer.byteLength(key) + encodable.bytes;
  }
  return { value: ownTable(entries), bytes };
}

function encodableNumber(value: number): Encodable | undefined {
  if (!Number.isFinite(value)) return undefined;
  // amqplib writes integers, and any number of magnitude 2^50 or more, as a signed long: what a
  // long cannot hold (a fraction that large, an integer beyond 2^63) goes as an explicit double.
  const asLong = Number.isInteger(value) || Math.abs(value) >= FRACTION_LIMIT;
  if (!asLong || (Number.isInteger(value) && Math.abs(value) < LONG_LIMIT)) return { value, bytes: 9 };
  return { value: { "!": "double", value }, bytes: 9 };
}

/** amqplib's typed values as it decodes them: decimals and timestamps, when they fit their fields. */
function typedValue(typed: { "!": unknown; value?: unknown }): Encodable | undefined {
  const inner = typed.value;
  if (typed["!"] === "timestamp") {
    return Number.isSafeInteger(inner) && (inner as number) >= 0 ? { value: typed, bytes: 9 } : undefined;
  }
  if (typed["!"] === "decimal" && inner !== null && typeof inner === "object") {
    const { places, digits } = inner as { places?: unknown; digits?: unknown };
    const fits =
      Number.isInteger(places) &&
      (places as number) >= 0 &&
      (places as number) <= 255 &&
      Number.isInteger(digits) &&
      (digits as number) >= 0 &&
      (digits as number) < 2 ** 32;
    return fits ? { value: { "!": "decimal", value: { places, digits } }, bytes: 6 } : undefined;
  }
  return undefined;
}

/** A table with exactly these own keys (`__proto__` stays an ordinary key). */
function ownTable(entries: ReadonlyArray<[string, unknown]>): Record<string, unknown> {
  return Object.fromEntries(entries);
}
