import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConsumeMessage } from "amqplib";
import { DEAD_LETTER_HEADERS, deadLetterOptions, redriveOptions } from "../../../src/agent/dead-letter.js";

const original = {
  content: Buffer.from("{}"),
  fields: {
    deliveryTag: 3,
    redelivered: false,
    exchange: "orders",
    routingKey: "order.created",
    consumerTag: "c",
  },
  properties: {
    contentType: "application/json",
    headers: { tenant: "a" },
    deliveryMode: 2,
    expiration: "60000",
    userId: "publisher",
    messageId: "m-1",
    correlationId: undefined,
  },
} as unknown as ConsumeMessage;

describe("dead-letter headers", () => {
  const failure = {
    kind: "function_error" as const,
    retryable: true,
    errorType: "TypeError",
    message: "bad",
    durationMs: 1,
  };
  const options = deadLetterOptions(original, {
    agent: "a",
    queue: "orders",
    functionName: "fn",
    attempts: 3,
    failure,
    now: new Date(0),
  });

  it("keeps the properties and adds the error", () => {
    assert.equal(options.contentType, "application/json");
    assert.equal(options.messageId, "m-1");
    assert.equal(options.deliveryMode, 2);
    assert.deepEqual(options.headers, {
      tenant: "a",
      [DEAD_LETTER_HEADERS.errorType]: "TypeError",
      [DEAD_LETTER_HEADERS.errorMessage]: "bad",
      [DEAD_LETTER_HEADERS.attempts]: 3,
      [DEAD_LETTER_HEADERS.functionName]: "fn",
      [DEAD_LETTER_HEADERS.failedAt]: "1970-01-01T00:00:00.000Z",
      [DEAD_LETTER_HEADERS.agent]: "a",
      [DEAD_LETTER_HEADERS.exchange]: "orders",
      [DEAD_LETTER_HEADERS.routingKey]: "order.created",
      [DEAD_LETTER_HEADERS.queue]: "orders",
      [DEAD_LETTER_HEADERS.expiration]: "60000",
      [DEAD_LETTER_HEADERS.userId]: "publisher",
    });
  });

  it("moves expiration and user id into headers, so the copy neither expires nor is refused", () => {
    assert.equal("expiration" in options, false);
    assert.equal("userId" in options, false);
  });

  it("redrive restores the route and strips the agent's headers", () => {
    const back = redriveOptions({
      ...original,
      properties: { ...original.properties, ...options },
    } as ConsumeMessage);
    assert.equal(back?.exchange, "orders");
    assert.equal(back?.routingKey, "order.created");
    assert.deepEqual(back?.options.headers, { tenant: "a" });
  });

  it("redrive refuses a message without the agent's headers", () => {
    assert.equal(redriveOptions(original), undefined);
  });
});
