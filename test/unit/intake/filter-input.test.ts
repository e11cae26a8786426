import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Origin } from "../../../src/backends/backend.js";
import { filterInput } from "../../../src/intake/filter-input.js";
import { MessageBody } from "../../../src/intake/message-body.js";
import {
  type FakeMessage,
  fakeMessage,
  headers as headerTables,
  nestedTables,
  ODD_KEYS,
  ownTable,
} from "../amqp-fixtures.js";

const origin: Origin = { exchange: "orders", routingKey: "order.created" };

function input(message: FakeMessage, readsData = true, from: Origin = origin) {
  const delivery = fakeMessage(message);
  return filterInput(delivery, from, new MessageBody(delivery.content), readsData);
}

const headersOf = (message: FakeMessage) => input(message).basicProperties.headers as Record<string, unknown>;

describe("filterInput: fields", () => {
  it("has the properties, the origin's routing key and exchange, and redelivered", () => {
    const result = input(
      {
        exchange: "",
        routingKey: "orders.retry.10s",
        redelivered: true,
        properties: { contentType: "application/json", priority: 4, messageId: "m-1" },
      },
      false,
      { exchange: "shop", routingKey: "order.paid" },
    );
    assert.equal(result.routingKey, "order.paid", "the original, not the retry queue's");
    assert.equal(result.exchange, "shop");
    assert.equal(result.redelivered, true);
    assert.equal(result.basicProperties.contentType, "application/json");
    assert.equal(result.basicProperties.priority, 4);
    assert.equal(result.basicProperties.messageId, "m-1");
    assert.equal(result.basicProperties.headers, null);
    assert.equal(result.basicProperties.bodySize, 2);
  });

  it("data is the parsed JSON body, only when patterns read it", () => {
    assert.deepEqual(input({ content: '{"a":[1,{"b":"c"}]}' }).data, { a: [1, { b: "c" }] });
    assert.equal(
      Object.hasOwn(input({ content: '{"a":1}' }, false), "data"),
      false,
      "not parsed when unread",
    );
  });

  it("data is present for any JSON value, null included, and absent for anything else", () => {
    assert.equal(input({ content: "null" }).data, null);
    assert.equal(Object.hasOwn(input({ content: "null" }), "data"), true);
    assert.equal(input({ content: "7" }).data, 7);
    for (const content of ["not json", "", "{", Buffer.from([0x22, 0xff, 0x22])]) {
      assert.equal(Object.hasOwn(input({ content }), "data"), false, String(content));
    }
  });

  it("a __proto__ key in the body is an ordinary field of data", () => {
    const data = input({ content: '{"__proto__":{"polluted":1}}' }).data as Record<string, unknown>;
    assert.ok(Object.hasOwn(data, "__proto__"));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe("filterInput: decoded headers", () => {
  it("a string header is a string, not the event's {bytes}", () => {
    assert.deepEqual(headersOf({ headers: { tenant: "acme" } }), { tenant: "acme" });
  });

  it("a byte string is its UTF-8 text", () => {
    assert.deepEqual(headersOf({ headers: { raw: Buffer.from("héllo") } }), { raw: "héllo" });
  });

  it("numbers, booleans and null stay as they are", () => {
    assert.deepEqual(headersOf({ headers: { n: 1.5, b: false, z: null, u: undefined } }), {
      n: 1.5,
      b: false,
      z: null,
      u: null,
    });
  });

  it("typed values are unwrapped", () => {
    assert.deepEqual(
      headersOf({
        headers: {
          ts: { "!": "timestamp", value: 1_700_000_000 },
          dec: { "!": "decimal", value: { places: 2, digits: 1234 } },
        },
      }),
      { ts: 1_700_000_000, dec: { places: 2, digits: 1234 } },
    );
  });

  it("nested tables and arrays are decoded all the way down", () => {
    assert.deepEqual(
      headersOf({ headers: { t: { inner: Buffer.from("x"), list: ["a", Buffer.from("b"), [1]] } } }),
      { t: { inner: "x", list: ["a", "b", [1]] } },
    );
  });

  it("odd keys are ordinary own keys", () => {
    const decoded = headersOf({ headers: ownTable(ODD_KEYS.map((key) => [key, "v"])) });
    assert.deepEqual(Object.keys(decoded), ODD_KEYS);
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(decoded, "__proto__")?.value, "v");
  });

  it("tables nested too deep are left out, the rest kept", () => {
    const decoded = headersOf({ headers: { deep: nestedTables(100_000), ok: "x" } });
    assert.equal(decoded.ok, "x");
    let level: unknown = decoded.deep;
    let depth = 0;
    while (level !== null && typeof level === "object" && Object.hasOwn(level, "k")) {
      level = (level as Record<string, unknown>).k;
      depth += 1;
    }
    assert.ok(depth >= 16 && depth <= 64, `kept ${depth} levels`);
    assert.deepEqual(level, {}, "the table where the cut is made stays, empty");
  });
});

describe("filterInput never throws", () => {
  it("on hostile header tables and bodies (property)", () => {
    fc.assert(
      fc.property(
        headerTables,
        fc.oneof(
          fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)),
          fc.json().map((j) => Buffer.from(j)),
        ),
        fc.boolean(),
        (headers, content, readsData) => {
          const result = input({ headers, content }, readsData);
          const decoded = result.basicProperties.headers as Record<string, unknown>;
          assert.deepEqual(Object.keys(decoded), Object.keys(headers), "every header is there");
          for (const key of Object.keys(headers)) {
            const value = headers[key];
            if (typeof value === "string") assert.equal(decoded[key], value);
            if (Buffer.isBuffer(value)) assert.equal(decoded[key], value.toString("utf8"));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
