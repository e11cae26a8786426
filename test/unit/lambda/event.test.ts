import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConsumeMessage } from "amqplib";
import { bodyPayload, buildRmqEvent, encodeHeaderValue } from "../../../src/lambda/event.js";

function message(body: string, properties: Record<string, unknown> = {}, tag = 7): ConsumeMessage {
  return {
    content: Buffer.from(body),
    fields: {
      deliveryTag: tag,
      redelivered: true,
      exchange: "orders",
      routingKey: "order.created",
      consumerTag: "c",
    },
    properties: { headers: undefined, ...properties },
  } as unknown as ConsumeMessage;
}

describe("buildRmqEvent", () => {
  it("builds Amazon MQ's RabbitMQ event with the agent's additions", () => {
    const event = buildRmqEvent(
      [message('{"id":1}', { contentType: "application/json", deliveryMode: 2, timestamp: 2021 })],
      {
        queue: "orders",
        vhost: "/",
        sourceArn: "amqp://127.0.0.1:5672/",
      },
    );
    assert.deepEqual(event, {
      eventSource: "aws:rmq",
      eventSourceArn: "amqp://127.0.0.1:5672/",
      rmqMessagesByQueue: {
        "orders::/": [
          {
            basicProperties: {
              contentType: "application/json",
              contentEncoding: null,
              headers: null,
              deliveryMode: 2,
              priority: null,
              correlationId: null,
              replyTo: null,
              expiration: null,
              messageId: null,
              timestamp: "Jan 1, 1970, 12:33:41 AM",
              type: null,
              userId: null,
              appId: null,
              clusterId: null,
              bodySize: 8,
            },
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

  it("keys messages by queue and vhost", () => {
    const event = buildRmqEvent([message("x")], { queue: "q", vhost: "prod", sourceArn: "a" });
    assert.deepEqual(Object.keys(event.rmqMessagesByQueue), ["q::prod"]);
  });
});

describe("encodeHeaderValue", () => {
  it("sends strings as bytes, as AWS does, and keeps numbers and booleans", () => {
    assert.deepEqual(encodeHeaderValue("hi"), { bytes: [104, 105] });
    assert.deepEqual(encodeHeaderValue(Buffer.from([0, 255])), { bytes: [0, 255] });
    assert.equal(encodeHeaderValue(42), 42);
    assert.equal(encodeHeaderValue(false), false);
    assert.equal(encodeHeaderValue(undefined), null);
    assert.deepEqual(encodeHeaderValue(["a", 1]), [{ bytes: [97] }, 1]);
    assert.deepEqual(encodeHeaderValue({ nested: "b" }), { nested: { bytes: [98] } });
  });
});

describe("bodyPayload", () => {
  it("passes a JSON body through unchanged", () => {
    const result = bodyPayload(message('{"a":1}'));
    assert.ok(result.ok);
    assert.equal(Buffer.from(result.payload).toString(), '{"a":1}');
  });
  it("refuses a body that is not JSON", () => {
    const result = bodyPayload(message("not json"));
    assert.equal(result.ok, false);
  });
});
