import { HTTP_TOKEN } from "../../config/http-backend-headers.js";
import type { OutgoingMessage } from "../backend.js";
import { boundedJson, percentEncodeHeader } from "./header-text.js";

/** Most bytes of one forwarded header (`Name: value`), and of all of them together. */
export const MAX_FORWARDED_HEADER_BYTES = 8 * 1024;
export const MAX_FORWARDED_TOTAL_BYTES = 32 * 1024;

export const FORWARDED = {
  routingKey: "X-Amqp-Routing-Key",
  exchange: "X-Amqp-Exchange",
  messageId: "X-Amqp-Message-Id",
  redelivered: "X-Amqp-Redelivered",
  headerPrefix: "X-Amqp-Header-",
  /** How many AMQP headers were left out, when any were. */
  dropped: "X-Amqp-Headers-Dropped",
} as const;

/** Room kept for the `X-Amqp-Headers-Dropped` line. */
const DROPPED_LINE_BYTES = 64;

/**
 * What `forward_headers: true` sends with a message, as `[name, value]` pairs: where it was first
 * published (routing key, exchange), its message id, whether it is redelivered, and each AMQP header
 * as `X-Amqp-Header-<name>`. Everything a publisher wrote is hostile, so:
 * - a header whose name is not an HTTP token is left out, and so is a second one whose name differs
 *   only in case (HTTP names ignore case);
 * - strings and byte strings are percent-encoded (`percentEncodeHeader`): no CR or LF can reach the wire;
 * - tables, arrays and other values go as JSON written by `boundedJson` (own keys, bounded depth);
 * - a header over `MAX_FORWARDED_HEADER_BYTES`, or past `MAX_FORWARDED_TOTAL_BYTES` in all, is left
 *   out; `X-Amqp-Headers-Dropped` then says how many were.
 */
export function forwardedHeaders(outgoing: OutgoingMessage): Array<[string, string]> {
  const { message, origin } = outgoing;
  const out: Array<[string, string]> = [];
  const names = new Set<string>();
  let total = 0;
  let dropped = 0;
  const add = (name: string, value: unknown): void => {
    const line = headerLine(name, value, MAX_FORWARDED_TOTAL_BYTES - DROPPED_LINE_BYTES - total);
    if (line === undefined || names.has(name.toLowerCase())) {
      dropped++;
      return;
    }
    names.add(name.toLowerCase());
    out.push(line);
    total += line[0].length + 2 + line[1].length;
  };
  add(FORWARDED.routingKey, origin.routingKey);
  add(FORWARDED.exchange, origin.exchange);
  const messageId: unknown = message.properties.messageId;
  if (typeof messageId === "string") add(FORWARDED.messageId, messageId);
  add(FORWARDED.redelivered, message.fields.redelivered === true);
  const table: unknown = message.properties.headers;
  if (table !== null && typeof table === "object") {
    for (const key of Object.keys(table)) {
      const descriptor = Object.getOwnPropertyDescriptor(table, key);
      if (!HTTP_TOKEN.test(key) || !descriptor || !("value" in descriptor)) {
        dropped++;
        continue;
      }
      add(`${FORWARDED.headerPrefix}${key}`, descriptor.value);
    }
  }
  if (dropped > 0) out.push([FORWARDED.dropped, String(dropped)]);
  return out;
}

/** `[name, value]` with the value encoded, when the line fits in `room` and in one header's limit. */
function headerLine(name: string, value: unknown, room: number): [string, string] | undefined {
  const limit = Math.min(room, MAX_FORWARDED_HEADER_BYTES) - name.length - 2;
  if (limit < 0) return undefined;
  const encoded = encodeValue(value, limit);
  return encoded !== undefined && encoded.length <= limit ? [name, encoded] : undefined;
}

/** Strings and byte strings as their bytes, anything else as JSON; `undefined` past `limit` (the work stops early). */
function encodeValue(value: unknown, limit: number): string | undefined {
  if (typeof value === "string") {
    return value.length > limit ? undefined : percentEncodeHeader(Buffer.from(value, "utf8"));
  }
  if (value instanceof Uint8Array) {
    return value.byteLength > limit ? undefined : percentEncodeHeader(value);
  }
  const json = boundedJson(value, limit);
  return json === undefined ? undefined : percentEncodeHeader(Buffer.from(json, "utf8"));
}
