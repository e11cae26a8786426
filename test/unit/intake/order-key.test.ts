import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Origin } from "../../../src/backends/backend.js";
import type { OrderKey } from "../../../src/config/types.js";
import { MessageBody } from "../../../src/intake/message-body.js";
import { KEYLESS_LANE, orderLane } from "../../../src/intake/order-key.js";
import { type FakeMessage, fakeMessage, headers as headerTables, ownTable } from "../amqp-fixtures.js";

function lane(orderKey: OrderKey, message: FakeMessage, origin?: Origin): string {
  const delivery = fakeMessage(message);
  return orderLane(orderKey, delivery, origin, new MessageBody(delivery.content));
}

const byRoutingKey: OrderKey = { from: "routing_key" };
const byHeader = (name: string): OrderKey => ({ from: "header", name });
const byBody = (...path: string[]): OrderKey => ({ from: "body", path });

describe("orderLane: routing_key", () => {
  it("messages with the same routing key share a lane; others do not", () => {
    const a = lane(byRoutingKey, { routingKey: "customer.1" });
    assert.equal(lane(byRoutingKey, { routingKey: "customer.1", exchange: "other" }), a);
    assert.notEqual(lane(byRoutingKey, { routingKey: "customer.2" }), a);
    assert.notEqual(a, KEYLESS_LANE);
  });

  it("after a retry, the original routing key orders it, not the retry queue's", () => {
    const direct = lane(byRoutingKey, { routingKey: "customer.1" });
    const retried = lane(
      byRoutingKey,
      { exchange: "", routingKey: "orders" },
      { exchange: "shop", routingKey: "customer.1" },
    );
    assert.equal(retried, direct);
  });

  it("the empty routing key is a key like any other", () => {
    assert.notEqual(lane(byRoutingKey, { routingKey: "" }), KEYLESS_LANE);
  });
});

describe("orderLane: header", () => {
  it("a string header orders by its value", () => {
    const a = lane(byHeader("customer"), { headers: { customer: "c-1" } });
    assert.equal(lane(byHeader("customer"), { headers: { customer: "c-1", other: 1 } }), a);
    assert.notEqual(lane(byHeader("customer"), { headers: { customer: "c-2" } }), a);
  });

  it("a byte string (a Buffer) is the same key as the string it holds", () => {
    assert.equal(
      lane(byHeader("customer"), { headers: { customer: Buffer.from("c-1") } }),
      lane(byHeader("customer"), { headers: { customer: "c-1" } }),
    );
  });

  it("numbers and booleans are keys, distinct from the strings that look like them", () => {
    const number = lane(byHeader("n"), { headers: { n: 42 } });
    assert.notEqual(number, KEYLESS_LANE);
    assert.equal(lane(byHeader("n"), { headers: { n: 42 } }), number);
    assert.notEqual(lane(byHeader("n"), { headers: { n: "42" } }), number);
    assert.notEqual(lane(byHeader("n"), { headers: { n: true } }), KEYLESS_LANE);
  });

  it("a missing header, a message without headers, null, a table, a list or a typed value: keyless", () => {
    const cases: FakeMessage[] = [
      { headers: { other: "x" } },
      { headers: undefined },
      { headers: { customer: null } },
      { headers: { customer: { id: "c-1" } } },
      { headers: { customer: ["c-1"] } },
      { headers: { customer: { "!": "timestamp", value: 5 } } },
    ];
    for (const message of cases) assert.equal(lane(byHeader("customer"), message), KEYLESS_LANE);
  });

  it("__proto__ and constructor are header names like any other (own keys only)", () => {
    const own = ownTable([["__proto__", "c-1"]]);
    assert.equal(
      lane(byHeader("__proto__"), { headers: own }),
      lane(byHeader("customer"), { headers: { customer: "c-1" } }),
    );
    assert.equal(lane(byHeader("__proto__"), { headers: { other: 1 } }), KEYLESS_LANE);
    assert.equal(
      lane(byHeader("constructor"), { headers: { other: 1 } }),
      KEYLESS_LANE,
      "not Object's constructor",
    );
    assert.equal(lane(byHeader("toString"), { headers: {} }), KEYLESS_LANE);
  });

  it("an inherited header (a publisher's __proto__ table, as amqplib decodes it) is no key", () => {
    const headers = Object.create({ customer: "c-1" }) as Record<string, unknown>;
    assert.equal(lane(byHeader("customer"), { headers }), KEYLESS_LANE);
  });
});

describe("orderLane: body path", () => {
  const order = byBody("order", "customer", "id");

  it("reads a nested field of a JSON body", () => {
    const a = lane(order, { content: '{"order":{"customer":{"id":"c-1"}},"n":1}' });
    assert.notEqual(a, KEYLESS_LANE);
    assert.equal(lane(order, { content: '{"n":2,"order":{"customer":{"id":"c-1","x":0}}}' }), a);
    assert.notEqual(lane(order, { content: '{"order":{"customer":{"id":"c-2"}}}' }), a);
  });

  it("a number at the path is a key", () => {
    assert.notEqual(lane(byBody("id"), { content: '{"id":7}' }), KEYLESS_LANE);
  });

  it("keyless when the body cannot give the key", () => {
    const cases: Array<[string, Buffer | string]> = [
      ["missing field", '{"order":{"customer":{}}}'],
      ["a string on the way", '{"order":"c-1"}'],
      ["null on the way", '{"order":null}'],
      ["a list on the way", '{"order":[{"customer":{"id":"c-1"}}]}'],
      ["an object at the path", '{"order":{"customer":{"id":{"v":1}}}}'],
      ["null at the path", '{"order":{"customer":{"id":null}}}'],
      ["not JSON", "order=c-1"],
      ["JSON that is not an object", '"c-1"'],
      ["empty body", ""],
      ["not UTF-8", Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ];
    for (const [what, content] of cases) assert.equal(lane(order, { content }), KEYLESS_LANE, what);
  });

  it("path parts that name Object.prototype members are ordinary fields", () => {
    assert.equal(lane(byBody("constructor"), { content: "{}" }), KEYLESS_LANE);
    assert.equal(lane(byBody("toString"), { content: '{"a":1}' }), KEYLESS_LANE);
    assert.notEqual(lane(byBody("__proto__", "id"), { content: '{"__proto__":{"id":"c-1"}}' }), KEYLESS_LANE);
  });
});

describe("orderLane: long keys", () => {
  it("are hashed to a short lane name, still telling keys apart", () => {
    const long = "c".repeat(60 * 1024);
    const a = lane(byHeader("customer"), { headers: { customer: long } });
    const b = lane(byHeader("customer"), { headers: { customer: `${long}x` } });
    assert.ok(a.length < 100, `lane name of ${a.length} characters`);
    assert.notEqual(a, b);
    assert.equal(lane(byHeader("customer"), { headers: { customer: long } }), a);
    assert.notEqual(a, KEYLESS_LANE);
  });

  it("a short key can never collide with the keyless lane or a hashed one", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 300 }), (x, y) => {
        const lx = lane(byHeader("k"), { headers: { k: x } });
        const ly = lane(byHeader("k"), { headers: { k: y } });
        assert.notEqual(lx, KEYLESS_LANE);
        assert.equal(lx === ly, x === y);
      }),
    );
  });
});

describe("orderLane never throws", () => {
  it("on hostile headers and bodies (property)", () => {
    fc.assert(
      fc.property(
        headerTables,
        fc.oneof(
          fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
          fc.json().map((j) => Buffer.from(j)),
        ),
        fc.constantFrom("k", "__proto__", "constructor", "toString", "!", ""),
        (headers, content, name) => {
          for (const key of [byRoutingKey, byHeader(name), byBody(name), byBody(name, name)]) {
            assert.equal(typeof lane(key, { headers, content }), "string");
          }
        },
      ),
    );
  });
});
