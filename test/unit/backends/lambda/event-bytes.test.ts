import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConsumeMessage } from "amqplib";
import fc from "fast-check";
import type { Origin } from "../../../../src/backends/backend.js";
import { buildRmqEvent, UnrepresentableMessageError } from "../../../../src/backends/lambda/event.js";
import {
  encodeEventMessage,
  eventEnvelope,
  eventPayload,
  payloadShare,
  releaseBody,
} from "../../../../src/backends/lambda/event-bytes.js";
import { fakeMessage, headers as headerTables, nestedTables, ownTable } from "../../amqp-fixtures.js";

const source = { queue: "orders", vhost: "/", sourceArn: "amqp://127.0.0.1:5672/" };

interface Sent {
  message: ConsumeMessage;
  origin?: Origin | undefined;
}

/** The payload the agent sends, as one buffer. */
function sentBytes(messages: readonly Sent[]): { bytes: Buffer; byteLength: number } {
  const payload = eventPayload(
    eventEnvelope(source),
    messages.map(({ message, origin }) => encodeEventMessage(message, origin)),
  );
  return { bytes: Buffer.concat(payload.chunks), byteLength: payload.byteLength };
}

describe("the event as bytes", () => {
  it("parses to exactly what buildRmqEvent builds", () => {
    const messages: Sent[] = [
      {
        message: fakeMessage({
          content: '{"id":1}',
          deliveryTag: 3,
          redelivered: true,
          headers: {
            tenant: "a",
            n: 1.5,
            list: [Buffer.from("x"), null],
            ts: { "!": "timestamp", value: 60 },
          },
          properties: { contentType: "application/json", timestamp: 2021, messageId: 'm"1\n' },
        }),
      },
      {
        message: fakeMessage({ content: Buffer.from([0, 255, 1]), deliveryTag: 4, routingKey: "" }),
        origin: { exchange: "shöp", routingKey: 'quote"d\\' },
      },
    ];
    const { bytes, byteLength } = sentBytes(messages);
    assert.deepEqual(JSON.parse(bytes.toString("utf8")), buildRmqEvent(messages, source));
    assert.equal(byteLength, bytes.byteLength);
  });

  it("an event without messages is still valid JSON", () => {
    const { bytes, byteLength } = sentBytes([]);
    assert.deepEqual(JSON.parse(bytes.toString()), buildRmqEvent([], source));
    assert.equal(byteLength, bytes.byteLength);
  });

  it("the envelope escapes the source ARN and the queue key", () => {
    const envelope = eventEnvelope({ queue: 'q"1', vhost: "v\\h", sourceArn: 'amqp://"host"/' });
    const text = Buffer.concat([envelope.head, envelope.tail]).toString();
    assert.deepEqual(JSON.parse(text), {
      eventSource: "aws:rmq",
      eventSourceArn: 'amqp://"host"/',
      rmqMessagesByQueue: { 'q"1::v\\h': [] },
    });
  });

  it("chunks are envelope, messages separated by commas, then the tail; nothing is copied", () => {
    const envelope = eventEnvelope(source);
    const one = encodeEventMessage(fakeMessage({ deliveryTag: 1 }));
    const two = encodeEventMessage(fakeMessage({ deliveryTag: 2 }));
    const payload = eventPayload(envelope, [one, two]);
    assert.equal(payload.chunks.length, 5);
    assert.equal(payload.chunks[0], envelope.head);
    assert.equal(payload.chunks[1], one);
    assert.equal(payload.chunks[2]?.toString(), ",");
    assert.equal(payload.chunks[3], two);
    assert.equal(payload.chunks[4], envelope.tail);
  });

  it("payloadShare is what a message adds to a payload", () => {
    const envelope = eventEnvelope(source);
    const encoded = [1, 2, 3].map((tag) =>
      encodeEventMessage(fakeMessage({ deliveryTag: tag, content: "x".repeat(tag * 10) })),
    );
    const empty = eventPayload(envelope, []).byteLength;
    const full = eventPayload(envelope, encoded).byteLength;
    // n messages add n shares minus one comma.
    assert.equal(full - empty, encoded.reduce((sum, e) => sum + payloadShare(e), 0) - 1);
  });

  it("every body length encodes exactly (base64 padding)", () => {
    for (let length = 0; length < 8; length++) {
      const message = fakeMessage({ content: Buffer.alloc(length, 0xab) });
      const parsed = JSON.parse(encodeEventMessage(message).toString());
      assert.equal(Buffer.from(parsed.data, "base64").byteLength, length);
    }
  });

  it("a large body (encoded in steps) is the base64 of the whole body", () => {
    // Around the 24 KB step: pieces join without padding in the middle, whatever the last one holds.
    for (const length of [24 * 1024 - 1, 24 * 1024, 24 * 1024 + 1, 48 * 1024 + 2, 256 * 1024 + 5]) {
      const content = Buffer.alloc(length);
      for (let i = 0; i < length; i++) content[i] = (i * 131 + (i >> 8)) & 0xff;
      const encoded = encodeEventMessage(fakeMessage({ content }));
      const parsed = JSON.parse(encoded.toString());
      assert.equal(parsed.data, content.toString("base64"));
      assert.equal(encoded.byteLength, Buffer.byteLength(encoded.toString()));
    }
  });

  it("a released body still reads as the same bytes, decoded from its event", () => {
    const body = Buffer.alloc(70_001);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 9)) & 0xff;
    const cases: Array<{ routingKey: string; origin?: Origin; deliveryTag: number }> = [
      { routingKey: "order.created", deliveryTag: 1 },
      { routingKey: 'ké"y\\', deliveryTag: 123_456_789 },
      { routingKey: "r", origin: { exchange: "shöp ✓", routingKey: 'quote"d' }, deliveryTag: 7 },
    ];
    for (const { routingKey, origin, deliveryTag } of cases) {
      const message = fakeMessage({ content: Buffer.from(body), routingKey, deliveryTag });
      const encoded = encodeEventMessage(message, origin);
      releaseBody(message, encoded, origin);
      assert.deepEqual(message.content, body);
      assert.deepEqual(message.content, body, "read twice");
      // The event itself is untouched.
      assert.equal(JSON.parse(encoded.toString()).data, body.toString("base64"));
    }
  });

  it("a small body is kept as it is", () => {
    const message = fakeMessage({ content: Buffer.from("x".repeat(100)) });
    const original = message.content;
    releaseBody(message, encodeEventMessage(message), undefined);
    assert.equal(message.content, original);
  });

  it("-0 in a header is sent as 0 (JSON has no negative zero)", () => {
    const { bytes } = sentBytes([{ message: fakeMessage({ headers: { z: -0 } }) }]);
    assert.equal(
      JSON.parse(bytes.toString()).rmqMessagesByQueue["orders::/"][0].basicProperties.headers.z,
      0,
    );
  });

  it("refuses a too deep table as buildRmqEvent does", () => {
    const message = fakeMessage({ headers: nestedTables(200) as Record<string, unknown> });
    assert.throws(() => encodeEventMessage(message), UnrepresentableMessageError);
  });
});

// Issue 10 + 12 acceptance: any message amqplib can hand over is either sent as exactly the event
// buildRmqEvent describes, or refused (both ways) as unrepresentable. Nothing else may throw.

/** JSON has no -0: the reference keeps it, the bytes say 0. */
function withoutNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (value !== null && typeof value === "object") {
    return ownTable(
      Object.keys(value).map((key) => [key, withoutNegativeZero((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

const text = fc.string({ unit: "binary", maxLength: 10 });
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

const message: fc.Arbitrary<Sent> = fc
  .record({
    content: fc.uint8Array({ maxLength: 40 }),
    headers: optional(headerTables),
    contentType: optional(text),
    deliveryMode: optional(fc.integer({ min: 0, max: 255 })),
    priority: optional(fc.integer({ min: 0, max: 255 })),
    messageId: optional(text),
    timestamp: optional(fc.oneof(fc.nat(), fc.double(), fc.maxSafeInteger())),
    userId: optional(text),
    deliveryTag: fc.nat(),
    redelivered: fc.boolean(),
    exchange: text,
    routingKey: text,
    origin: optional(fc.record({ exchange: text, routingKey: text })),
  })
  .map(({ content, headers, deliveryTag, redelivered, exchange, routingKey, origin, ...properties }) => ({
    message: fakeMessage({
      content: Buffer.from(content),
      headers,
      properties,
      deliveryTag,
      redelivered,
      exchange,
      routingKey,
    }),
    origin,
  }));

/** The outcome of a builder: its value, or the class of what it threw. */
function outcome<T>(build: () => T): { value: T } | { threw: unknown } {
  try {
    return { value: build() };
  } catch (thrown) {
    return { threw: thrown };
  }
}

describe("the event as bytes (property)", () => {
  it("is buildRmqEvent's event, or both refuse the message as unrepresentable", () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 4 }), (messages) => {
        const reference = outcome(() => buildRmqEvent(messages, source));
        const sent = outcome(() => sentBytes(messages));
        if ("threw" in reference || "threw" in sent) {
          assert.ok(
            "threw" in reference && reference.threw instanceof UnrepresentableMessageError,
            "reference",
          );
          assert.ok("threw" in sent && sent.threw instanceof UnrepresentableMessageError, "bytes");
          return;
        }
        const { bytes, byteLength } = sent.value;
        assert.equal(byteLength, bytes.byteLength);
        assert.deepEqual(JSON.parse(bytes.toString("utf8")), withoutNegativeZero(reference.value));
      }),
      { numRuns: 500 },
    );
  });
});
