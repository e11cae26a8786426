import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { OutgoingMessage } from "../../../../src/backends/backend.js";
import {
  FORWARDED,
  forwardedHeaders,
  MAX_FORWARDED_HEADER_BYTES,
  MAX_FORWARDED_TOTAL_BYTES,
} from "../../../../src/backends/http/forward-headers.js";
import { boundedJson, percentEncodeHeader } from "../../../../src/backends/http/header-text.js";
import { fakeMessage, headers as headerTables, nestedTables, ownTable } from "../../amqp-fixtures.js";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What may be on the wire as a header value: printable ASCII, no space at either end. */
const WIRE_VALUE = /^(?:[\x21-\x7E](?:[\x20-\x7E]*[\x21-\x7E])?)?$/;

function outgoing(
  options: Parameters<typeof fakeMessage>[0] = {},
  origin = { exchange: "orders", routingKey: "order.created" },
): OutgoingMessage {
  return { id: 1, message: fakeMessage(options), origin };
}

const forwarded = (headers: Record<string, unknown>, options: Parameters<typeof fakeMessage>[0] = {}) =>
  new Map(forwardedHeaders(outgoing({ ...options, headers })));

const header = (name: string) => `${FORWARDED.headerPrefix}${name}`;

describe("forwardedHeaders", () => {
  it("sends where the message was first published, its id and whether it is redelivered", () => {
    const pairs = forwardedHeaders(
      outgoing(
        {
          exchange: "agent.retry",
          routingKey: "retry.10s",
          redelivered: true,
          properties: { messageId: "m-1" },
        },
        { exchange: "orders", routingKey: "order.created" },
      ),
    );
    assert.deepEqual(pairs, [
      ["X-Amqp-Routing-Key", "order.created"],
      ["X-Amqp-Exchange", "orders"],
      ["X-Amqp-Message-Id", "m-1"],
      ["X-Amqp-Redelivered", "true"],
    ]);
  });

  it("percent-encodes CR, LF, NUL, non-ASCII, % and spaces at either end, so that the value decodes back", () => {
    const values = ["a\r\nX-Evil: 1", "nul\u0000byte", "ключ 🔑", "100% sure", " padded ", "tab\there"];
    const sent = forwarded(ownTable(values.map((value, i) => [`h${i}`, value])));
    assert.equal(sent.get(header("h0")), "a%0D%0AX-Evil: 1");
    assert.equal(sent.get(header("h3")), "100%25 sure");
    assert.equal(sent.get(header("h4")), "%20padded%20");
    values.forEach((value, i) => {
      const wire = sent.get(header(`h${i}`)) as string;
      assert.match(wire, WIRE_VALUE);
      assert.equal(decodeURIComponent(wire), value);
    });
  });

  it("sends byte strings as their bytes, and other values as JSON", () => {
    const sent = forwarded({
      bytes: Buffer.from([0x00, 0x41, 0xff]),
      n: 42,
      big: 2n ** 70n,
      nan: Number.NaN,
      yes: true,
      nothing: null,
      table: { a: 1, s: "x", text: Buffer.from("hi"), raw: Buffer.from([0xff]), list: [1, "two"] },
      ts: { "!": "timestamp", value: 1_700_000_000 },
    });
    assert.equal(sent.get(header("bytes")), "%00A%FF");
    assert.equal(sent.get(header("n")), "42");
    assert.equal(sent.get(header("big")), "1180591620717411303424");
    assert.equal(sent.get(header("nan")), "null");
    assert.equal(sent.get(header("yes")), "true");
    assert.equal(sent.get(header("nothing")), "null");
    assert.deepEqual(JSON.parse(decodeURIComponent(sent.get(header("table")) as string)), {
      a: 1,
      s: "x",
      text: "hi",
      raw: { base64: "/w==" },
      list: [1, "two"],
    });
    assert.equal(
      decodeURIComponent(sent.get(header("ts")) as string),
      '{"!":"timestamp","value":1700000000}',
    );
  });

  it("reads own keys only: __proto__ is an ordinary key, inherited keys and accessors are left out", () => {
    const inherited = Object.create({ inheritedKey: 1 }) as Record<string, unknown>;
    inherited.own = 2;
    const accessor = ownTable([["plain", 1]]);
    Object.defineProperty(accessor, "trap", {
      enumerable: true,
      get() {
        throw new Error("a getter was called");
      },
    });
    const table = ownTable([
      ["__proto__", ownTable([["polluted", true]])],
      ["constructor", "c"],
    ]);
    const sent = forwarded({ proto: table, inherited, accessor });
    assert.equal(
      decodeURIComponent(sent.get(header("proto")) as string),
      '{"__proto__":{"polluted":true},"constructor":"c"}',
    );
    assert.equal(decodeURIComponent(sent.get(header("inherited")) as string), '{"own":2}');
    assert.equal(decodeURIComponent(sent.get(header("accessor")) as string), '{"plain":1}');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("leaves out, and counts, names that are not HTTP tokens, a name again in another case, and deep or large values", () => {
    const table = ownTable([
      ["ok", "1"],
      ["bad name", "x"],
      ["ключ", "x"],
      ["", "x"],
      ["a:b", "x"],
      ["x\r\ny", "x"],
      ["OK", "2"],
      ["deep", nestedTables(40)],
      ["huge", "x".repeat(MAX_FORWARDED_HEADER_BYTES)],
      ["hugeBytes", Buffer.alloc(MAX_FORWARDED_HEADER_BYTES)],
      ["wideTable", { list: Array.from({ length: 5000 }, () => 1) }],
    ]);
    const sent = forwarded(table);
    assert.deepEqual(
      [...sent.keys()],
      ["X-Amqp-Routing-Key", "X-Amqp-Exchange", "X-Amqp-Redelivered", header("ok"), FORWARDED.dropped],
    );
    assert.equal(sent.get(header("ok")), "1");
    assert.equal(sent.get(FORWARDED.dropped), "10");
  });

  it("keeps each header within 8 KB and all of them within 32 KB, dropping what does not fit", () => {
    const big = "v".repeat(MAX_FORWARDED_HEADER_BYTES - 40);
    const table = ownTable(Array.from({ length: 6 }, (_, i) => [`big${i}`, big] as const));
    const sent = forwarded({ ...table, small: "s" });
    const kept = [...sent.keys()].filter((name) => name.startsWith("X-Amqp-Header-big"));
    assert.equal(kept.length, 3);
    assert.equal(sent.get(header("small")), "s", "a smaller header after the full ones still fits");
    assert.equal(sent.get(FORWARDED.dropped), "3");
  });

  it("never lets a publisher's headers break a header line or the limits (property)", () => {
    const text = fc.string({ unit: "binary", maxLength: 40 });
    fc.assert(
      fc.property(headerTables, text, text, text, (headers, exchange, routingKey, messageId) => {
        const pairs = forwardedHeaders(
          outgoing({ headers, properties: { messageId } }, { exchange, routingKey }),
        );
        let total = 0;
        const names = new Set<string>();
        for (const [name, value] of pairs) {
          assert.match(name, TOKEN);
          assert.ok(name.startsWith("X-Amqp-"), name);
          assert.match(value, WIRE_VALUE);
          assert.ok(!names.has(name.toLowerCase()), `${name} twice`);
          names.add(name.toLowerCase());
          const bytes = name.length + 2 + value.length;
          assert.ok(bytes <= MAX_FORWARDED_HEADER_BYTES, `${name} is ${bytes} bytes`);
          total += bytes;
        }
        assert.ok(total <= MAX_FORWARDED_TOTAL_BYTES);
        const sent = new Map(pairs);
        assert.equal(decodeURIComponent(sent.get(FORWARDED.routingKey) ?? ""), routingKey);
        for (const key of Object.keys(headers)) {
          const value = headers[key];
          const wire = sent.get(header(key));
          if (typeof value === "string" && wire !== undefined) assert.equal(decodeURIComponent(wire), value);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("header text", () => {
  it("percentEncodeHeader leaves printable ASCII as it is", () => {
    assert.equal(percentEncodeHeader(Buffer.from("a b~!")), "a b~!");
    assert.equal(percentEncodeHeader(Buffer.from(" ")), "%20");
    assert.equal(percentEncodeHeader(Buffer.alloc(0)), "");
  });

  it("boundedJson stops at its budget and at its depth", () => {
    assert.equal(boundedJson({ a: "x".repeat(100) }, 50), undefined);
    assert.equal(boundedJson(nestedTables(16), 1000), `${'{"k":'.repeat(16)}1${"}".repeat(16)}`);
    assert.equal(boundedJson(nestedTables(17), 1000), undefined);
    // A sparse array a publisher claims is huge costs only what the budget allows.
    const sparse: unknown[] = [];
    sparse.length = 2 ** 32 - 1;
    assert.equal(boundedJson(sparse, 8192), undefined);
  });
});
