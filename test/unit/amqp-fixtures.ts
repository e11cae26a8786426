/**
 * Stand-ins for what amqplib hands the agent, shared by the unit tests of the agent and the event:
 * deliveries, header tables built the way hostile publishers can build them, and amqplib's own
 * field-table codec (to check that what the agent republishes can be encoded at all).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { ConsumeMessage } from "amqplib";
import fc from "fast-check";

export interface FakeMessage {
  content?: Buffer | string;
  headers?: Record<string, unknown>;
  /** Other basic properties (contentType, deliveryMode, ...). */
  properties?: object;
  exchange?: string;
  routingKey?: string;
  deliveryTag?: number;
  redelivered?: boolean;
}

/** A delivery as amqplib's consume callback gets it. */
export function fakeMessage(options: FakeMessage = {}): ConsumeMessage {
  const content = options.content ?? "{}";
  return {
    content: typeof content === "string" ? Buffer.from(content) : content,
    fields: {
      deliveryTag: options.deliveryTag ?? 1,
      redelivered: options.redelivered ?? false,
      exchange: options.exchange ?? "orders",
      routingKey: options.routingKey ?? "order.created",
      consumerTag: "ctag",
    },
    properties: { headers: options.headers, ...options.properties },
  } as unknown as ConsumeMessage;
}

/** An object with these own keys, even `__proto__` (an object literal would set the prototype instead). */
export function ownTable(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const table: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(table, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return table;
}

/** `{key: {key: ... value}}`, `levels` tables deep. */
export function nestedTables(levels: number, value: unknown = 1, key = "k"): unknown {
  let nested = value;
  for (let i = 0; i < levels; i++) nested = { [key]: nested };
  return nested;
}

interface AmqplibCodec {
  encodeTable(buffer: Buffer, table: unknown, offset: number): number;
  decodeFields(slice: Buffer): Record<string, unknown>;
}

// amqplib's package exports hide its codec; load the file by path (read-only use).
const require = createRequire(import.meta.url);
const codec = require(join(dirname(require.resolve("amqplib")), "lib", "codec.js")) as AmqplibCodec;

/** amqplib encodes a publish's headers into a scratch buffer of this size. */
export const AMQPLIB_TABLE_BUFFER_BYTES = 65_536;

/** Encodes a header table as amqplib does when it publishes; throws what amqplib throws. Returns its size. */
export function amqplibEncodedSize(headers: Record<string, unknown>): number {
  return codec.encodeTable(Buffer.alloc(AMQPLIB_TABLE_BUFFER_BYTES), headers, 0);
}

/** Encodes with amqplib and decodes again: the headers as a consumer receives them. */
export function throughTheWire(headers: Record<string, unknown>): Record<string, unknown> {
  const buffer = Buffer.alloc(AMQPLIB_TABLE_BUFFER_BYTES);
  const size = codec.encodeTable(buffer, headers, 0);
  return codec.decodeFields(buffer.subarray(4, size));
}

/** Keys that name members of Object.prototype, plus the empty key and non-ASCII ones. */
export const ODD_KEYS = [
  "__proto__",
  "constructor",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "",
  "ключ",
  "🔑",
];

const key = fc.oneof(fc.constantFrom(...ODD_KEYS, "CC", "BCC", "!", "value"), fc.string({ maxLength: 8 }));

/**
 * Header values in every shape amqplib's decoder produces (strings, integers, doubles including NaN
 * and infinities, booleans, null, byte strings as Buffers, arrays, nested tables, timestamps and
 * decimals as `{"!": type, value}`), plus tables only other clients produce (an own `"!"` key, an own
 * `__proto__` key). Tables are sometimes nested far deeper than anything accepts.
 */
export const { headerValue, headerTable } = fc.letrec<{ headerValue: unknown; headerTable: unknown }>(
  (tie) => ({
    headerValue: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.string({ unit: "binary", maxLength: 12 }),
      fc.integer(),
      fc.maxSafeInteger(),
      fc.double({ noDefaultInfinity: false }),
      fc.boolean(),
      fc.constant(null),
      fc.uint8Array({ maxLength: 12 }).map((bytes) => Buffer.from(bytes)),
      fc
        .bigInt({ min: 0n, max: 2n ** 64n - 1n })
        .map((seconds) => ({ "!": "timestamp", value: Number(seconds) })),
      fc
        .record({
          places: fc.integer({ min: 0, max: 255 }),
          digits: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        })
        .map((decimal) => ({ "!": "decimal", value: decimal })),
      fc.array(tie("headerValue"), { maxLength: 4 }),
      tie("headerTable"),
      fc
        .tuple(fc.nat(80), fc.boolean(), tie("headerValue"))
        .map(([levels, asArray, inner]) => deepen(levels, asArray, inner)),
    ),
    headerTable: fc
      .array(fc.tuple(key, tie("headerValue")), { maxLength: 5 })
      .map((entries) => ownTable(entries)),
  }),
);

function deepen(levels: number, asArray: boolean, inner: unknown): unknown {
  let value = inner;
  for (let i = 0; i < levels; i++) value = asArray ? [value] : ownTable([["d", value]]);
  return value;
}

/** A top-level header table as `message.properties.headers`. */
export const headers = headerTable as fc.Arbitrary<Record<string, unknown>>;
