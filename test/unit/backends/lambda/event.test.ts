import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  bodyPayload,
  buildRmqEvent,
  decodeUtf8,
  encodeHeaderValue,
  MAX_HEADER_DEPTH,
  queueKey,
  toBasicProperties,
  toEventMessage,
  UnrepresentableMessageError,
} from "../../../../src/backends/lambda/event.js";
import { fakeMessage, nestedTables, ODD_KEYS, ownTable } from "../../amqp-fixtures.js";
import { basicProperties } from "../../middleware/fixtures.js";

const source = { queue: "orders", vhost: "/", sourceArn: "amqp://127.0.0.1:5672/" };

describe("buildRmqEvent", () => {
  it("builds Amazon MQ's RabbitMQ event with the agent's additions", () => {
    const message = fakeMessage({
      content: '{"id":1}',
      deliveryTag: 7,
      redelivered: true,
      properties: { contentType: "application/json", deliveryMode: 2, timestamp: 2021 },
    });
    assert.deepEqual(buildRmqEvent([{ message }], source), {
      eventSource: "aws:rmq",
      eventSourceArn: "amqp://127.0.0.1:5672/",
      rmqMessagesByQueue: {
        "orders::/": [
          {
            basicProperties: basicProperties({
              contentType: "application/json",
              deliveryMode: 2,
              timestamp: "Jan 1, 1970, 12:33:41 AM",
              bodySize: 8,
            }),
            redelivered: true,
            data: Buffer.from('{"id":1}').toString("base64"),
            exchange: "orders",
            routingKey: "order.created",
            deliveryTag: "7",
          },
        ],
      },
    });
  });

  it("keys messages by queue and vhost, in the order given", () => {
    const event = buildRmqEvent(
      [{ message: fakeMessage({ deliveryTag: 1 }) }, { message: fakeMessage({ deliveryTag: 2 }) }],
      { queue: "q", vhost: "prod", sourceArn: "arn" },
    );
    assert.deepEqual(Object.keys(event.rmqMessagesByQueue), ["q::prod"]);
    assert.deepEqual(
      event.rmqMessagesByQueue["q::prod"]?.map((m) => m.deliveryTag),
      ["1", "2"],
    );
    assert.equal(queueKey({ queue: "q", vhost: "/", sourceArn: "" }), "q::/");
  });

  it("an origin (a trip through a retry queue) replaces the delivery's exchange and routing key", () => {
    const message = fakeMessage({ exchange: "", routingKey: "orders" });
    const event = buildRmqEvent(
      [{ message, origin: { exchange: "shop", routingKey: "order.paid" } }],
      source,
    );
    const [sent] = event.rmqMessagesByQueue["orders::/"] ?? [];
    assert.equal(sent?.exchange, "shop");
    assert.equal(sent?.routingKey, "order.paid");
    assert.equal(toEventMessage(message).routingKey, "orders", "without an origin, the delivery's");
  });
});

describe("toBasicProperties", () => {
  it("passes every property, with unset ones null", () => {
    const properties = toBasicProperties(
      {
        contentType: "text/plain",
        contentEncoding: "gzip",
        headers: undefined,
        deliveryMode: 1,
        priority: 9,
        correlationId: "c",
        replyTo: "r",
        expiration: "1000",
        messageId: "m",
        timestamp: 0,
        type: "t",
        userId: "u",
        appId: "a",
        clusterId: "cl",
      },
      3,
    );
    assert.deepEqual(properties, {
      contentType: "text/plain",
      contentEncoding: "gzip",
      headers: null,
      deliveryMode: 1,
      priority: 9,
      correlationId: "c",
      replyTo: "r",
      expiration: "1000",
      messageId: "m",
      timestamp: "Jan 1, 1970, 12:00:00 AM",
      type: "t",
      userId: "u",
      appId: "a",
      clusterId: "cl",
      bodySize: 3,
    });
  });

  it("a timestamp that is no date is null; an odd property type is null, never String(x)", () => {
    const odd = toBasicProperties(
      {
        timestamp: 1e300,
        contentType: { toString: () => "evil" },
        messageId: 12,
        priority: "9",
        headers: undefined,
      } as never,
      0,
    );
    assert.equal(odd.timestamp, null);
    assert.equal(odd.contentType, null);
    assert.equal(odd.messageId, "12");
    assert.equal(odd.priority, null);
    assert.equal(toBasicProperties({ timestamp: Number.NaN } as never, 0).timestamp, null);
  });
});

describe("encodeHeaderValue: amqplib's field types", () => {
  const table: Array<[string, unknown, unknown]> = [
    ["a string (S) as its UTF-8 bytes", "hé", { bytes: [104, 195, 169] }],
    ["a byte string (x, a Buffer) as its bytes", Buffer.from([0, 255]), { bytes: [0, 255] }],
    ["an integer (b, s, I, l)", -42, -42],
    ["a large integer", Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    ["a double (d, f)", 1.5, 1.5],
    ["NaN as null (JSON has none)", Number.NaN, null],
    ["Infinity as null", Number.POSITIVE_INFINITY, null],
    ["a boolean (t)", true, true],
    ["void (V) as null", null, null],
    ["undefined as null", undefined, null],
    ["a bigint as a number", 12n, 12],
    ["a timestamp (T) as its seconds", { "!": "timestamp", value: 1_700_000_000 }, 1_700_000_000],
    [
      "a decimal (D) as places and digits",
      { "!": "decimal", value: { places: 2, digits: 1234 } },
      { places: 2, digits: 1234 },
    ],
    ["a Date as seconds", new Date(5_500), 5],
    ["an array (A), each value encoded", ["a", 1, [true]], [{ bytes: [97] }, 1, [true]]],
    [
      "a nested table (F), each value encoded",
      { k: "v", n: { m: null } },
      { k: { bytes: [118] }, n: { m: null } },
    ],
    ["an empty table", {}, {}],
  ];
  for (const [what, value, expected] of table) {
    it(what, () => assert.deepEqual(encodeHeaderValue(value), expected));
  }

  it("a table that only looks typed (other keys too) is a table", () => {
    assert.deepEqual(encodeHeaderValue({ "!": "x", value: 1, more: 2 }), {
      "!": { bytes: [120] },
      value: 1,
      more: 2,
    });
  });

  it("odd keys are ordinary own keys", () => {
    const encoded = encodeHeaderValue(ownTable(ODD_KEYS.map((key) => [key, 1]))) as Record<string, unknown>;
    assert.deepEqual(Object.keys(encoded), ODD_KEYS);
    assert.equal(Object.getPrototypeOf(encoded), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(encoded, "__proto__")?.value, 1);
  });

  it("a value no AMQP table holds (a function, a symbol) is unrepresentable", () => {
    assert.throws(() => encodeHeaderValue(() => 1), UnrepresentableMessageError);
    assert.throws(() => encodeHeaderValue(Symbol("s")), UnrepresentableMessageError);
  });
});

describe("header tables nested too deep", () => {
  it(`are carried up to ${MAX_HEADER_DEPTH} levels (the headers table included), refused beyond`, () => {
    const properties = (headers: unknown) => ({ headers }) as never;
    assert.doesNotThrow(() => toBasicProperties(properties(nestedTables(MAX_HEADER_DEPTH)), 0));
    assert.throws(
      () => toBasicProperties(properties(nestedTables(MAX_HEADER_DEPTH + 1)), 0),
      (error: unknown) =>
        error instanceof UnrepresentableMessageError && /nested more than 64 levels/.test(error.message),
    );
  });

  it("arrays count as levels too", () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_HEADER_DEPTH; i++) deep = [deep];
    assert.throws(() => toBasicProperties({ headers: { a: deep } } as never, 0), UnrepresentableMessageError);
  });

  it("thousands of levels throw UnrepresentableMessageError, not a stack overflow", () => {
    const message = fakeMessage({ headers: nestedTables(100_000) as Record<string, unknown> });
    assert.throws(() => buildRmqEvent([{ message }], source), UnrepresentableMessageError);
  });
});

describe("bodyPayload (event_format: body)", () => {
  it("sends a JSON body as it is", () => {
    const message = fakeMessage({ content: '{"id":1}' });
    const payload = bodyPayload(message);
    assert.equal(payload.ok, true);
    assert.equal(payload.ok && payload.payload, message.content, "the same bytes, not a copy");
  });

  it("any JSON value is a payload", () => {
    for (const body of ["null", "3", '"text"', "[1,2]", ' {"a": "é"} ']) {
      assert.equal(bodyPayload(fakeMessage({ content: body })).ok, true, body);
    }
  });

  it("refuses a body that is not JSON, saying why", () => {
    for (const body of ["", "not json", "{", "{'a':1}"]) {
      const payload = bodyPayload(fakeMessage({ content: body }));
      assert.equal(payload.ok, false, body);
      assert.match(payload.ok ? "" : payload.reason, /needs a JSON body/);
    }
  });

  it("refuses a body that is not UTF-8, even when it would parse after replacement", () => {
    // "\xff" inside a JSON string: Buffer#toString would turn it into U+FFFD and JSON.parse accept it.
    const payload = bodyPayload(fakeMessage({ content: Buffer.from([0x22, 0xff, 0x22]) }));
    assert.equal(payload.ok, false);
    assert.match(payload.ok ? "" : payload.reason, /not UTF-8/);
  });
});

describe("decodeUtf8", () => {
  it("decodes UTF-8 and refuses anything else", () => {
    assert.equal(decodeUtf8(Buffer.from("héllo")), "héllo");
    assert.equal(decodeUtf8(Buffer.from([0xc3])), undefined, "a truncated sequence");
    assert.equal(decodeUtf8(Buffer.from([0xed, 0xa0, 0x80])), undefined, "an encoded surrogate");
  });
});
