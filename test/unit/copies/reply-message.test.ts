import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { ReplyConfig } from "../../../src/config/types.js";
import {
  derivedMessageId,
  errorReplyOf,
  renderRoutingKey,
  replyOf,
} from "../../../src/copies/reply-message.js";
import { fakeMessage } from "../amqp-fixtures.js";
import { agentConfig } from "../pipeline/fakes.js";

/** `reply: {mode: "reply_to"}` with every default, as the config resolves it. */
const base = agentConfig({ amqp: { reply: { mode: "reply_to" } } }).amqp.reply as ReplyConfig;
const origin = { exchange: "orders", routingKey: "order.created" };
const response = { body: Buffer.from('{"ok":true}'), contentType: "application/json" };

describe("replyOf: the reply a message gets", () => {
  it("reply_to: to the default exchange, mandatory, ids from the input, the request's routing key", () => {
    const message = fakeMessage({
      properties: { replyTo: "replies", correlationId: "c-1", messageId: "m-1" },
    });
    const reply = replyOf(base, { message, origin, response });
    assert.deepEqual(reply, {
      exchange: "",
      routingKey: "replies",
      content: Buffer.from('{"ok":true}'),
      options: {
        mandatory: true,
        persistent: true,
        messageId: "m-1",
        correlationId: "c-1",
        contentType: "application/json",
        headers: { "x-agent-request-routing-key": "order.created" },
      },
    });
  });

  it("no reply_to, or the function gave none: no reply", () => {
    assert.equal(replyOf(base, { message: fakeMessage(), origin, response }), undefined);
    const message = fakeMessage({ properties: { replyTo: "replies" } });
    assert.equal(
      replyOf(base, { message, origin, response: { ...response, withoutReply: true } }),
      undefined,
    );
  });

  it("direct reply-to goes without mandatory (RabbitMQ would return it)", () => {
    const message = fakeMessage({ properties: { replyTo: "amq.rabbitmq.reply-to.g1h2AA==" } });
    assert.equal(replyOf(base, { message, origin, response })?.options.mandatory, false);
  });

  it("correlation_id falls back to the input's message_id; message_id to a hash never of the delivery tag", () => {
    const message = fakeMessage({
      deliveryTag: 5,
      content: "body",
      properties: { replyTo: "r", messageId: "m-9" },
    });
    assert.equal(replyOf(base, { message, origin, response })?.options.correlationId, "m-9");
    const bare = (deliveryTag: number) =>
      replyOf(base, {
        message: fakeMessage({
          deliveryTag,
          content: "body",
          properties: { replyTo: "r", correlationId: "c" },
        }),
        origin,
        response,
      });
    const expected = createHash("sha256").update("ordersorder.createdcbody").digest("hex").slice(0, 32);
    assert.equal(bare(1)?.options.messageId, expected);
    assert.equal(bare(2)?.options.messageId, expected, "a redelivery's reply carries the same id");
    assert.equal(derivedMessageId(origin, undefined, Buffer.from("b")).length, 32);
  });

  it("exchange mode: the template, persistent, content type, expiration, static and function headers, trace", () => {
    const config: ReplyConfig = {
      ...base,
      mode: "exchange",
      exchange: "results",
      routingKey: [
        { text: "done." },
        { from: "routing_key" },
        { text: "." },
        { from: "header", name: "tenant" },
      ],
      persistent: false,
      contentType: "text/plain",
      headers: { source: "agent", "x-agent-request-routing-key": "overridden" },
      expirationMs: 60_000,
    };
    const message = fakeMessage({ headers: { tenant: "acme", traceparent: "00-input" } });
    const reply = replyOf(config, {
      message,
      origin,
      response: { body: undefined, contentType: "application/json", headers: { by: "fn" } },
      trace: { traceparent: "00-agent" },
    });
    assert.equal(reply?.exchange, "results");
    assert.equal(reply?.routingKey, "done.order.created.acme");
    assert.equal(reply?.content.byteLength, 0, "no body: an empty reply");
    assert.equal(reply?.options.persistent, false);
    assert.equal(reply?.options.contentType, "text/plain");
    assert.equal(reply?.options.expiration, "60000");
    assert.equal(reply?.options.mandatory, true);
    assert.deepEqual(reply?.options.headers, {
      source: "agent",
      by: "fn",
      "x-agent-request-routing-key": "order.created",
      traceparent: "00-agent",
    });
  });

  it("without the agent's trace the request's traceparent and tracestate are carried", () => {
    const message = fakeMessage({
      headers: { traceparent: "00-t", tracestate: "a=b", other: "x" },
      properties: { replyTo: "r" },
    });
    const headers = replyOf(base, { message, origin, response })?.options.headers;
    assert.deepEqual(headers, {
      "x-agent-request-routing-key": "order.created",
      traceparent: "00-t",
      tracestate: "a=b",
    });
  });

  it("header placeholders take text, numbers, booleans and bytes; anything else is empty", () => {
    const parts = [
      { from: "header", name: "a" },
      { from: "header", name: "b" },
      { from: "header", name: "c" },
      { from: "header", name: "d" },
      { from: "header", name: "e" },
    ] as const;
    const message = fakeMessage({ headers: { a: "x", b: 7, c: true, d: Buffer.from("y"), e: { no: 1 } } });
    assert.equal(renderRoutingKey(parts, message, origin), "x7truey");
  });

  it("on_failure error_reply: the failure as JSON on the reply's route; none unless asked", () => {
    const message = fakeMessage({ properties: { replyTo: "replies", correlationId: "c-1" } });
    const failure = { errorType: "Error", message: "boom", attempts: 3 };
    assert.equal(errorReplyOf(base, { message, origin }, failure), undefined);
    const reply = errorReplyOf(
      { ...base, onFailure: "error_reply", contentType: "text/plain" },
      { message, origin },
      failure,
    );
    assert.equal(reply?.routingKey, "replies");
    assert.deepEqual(JSON.parse(String(reply?.content)), {
      error: { type: "Error", message: "boom", attempts: 3 },
    });
    assert.equal(reply?.options.contentType, "application/json");
    assert.equal(reply?.options.correlationId, "c-1");
    assert.equal(reply?.options.headers?.["x-agent-error-type"], "Error");
  });
});
