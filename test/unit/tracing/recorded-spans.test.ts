import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createTracing, SHUTDOWN_ERROR_TYPE } from "../../../src/tracing/index.js";
import {
  decodeClientContext,
  NOW,
  plausibleTraceId,
  spanIdOf,
  tracedMessage,
  traceparent,
  w3cTraceId,
} from "./fixtures.js";
import { inMemorySpanExport } from "./in-memory-span-export.js";

const LAMBDA = { kind: "lambda", functionName: "orders-fn" } as const;
const EXPORT_ENV = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" };

async function recording(parent: "child" | "link" = "child") {
  const memory = inMemorySpanExport();
  const tracing = await createTracing({ enabled: true, parent }, EXPORT_ENV, {
    now: () => NOW,
    startSpanExport: memory.startSpanExport,
  });
  assert.equal(tracing.mode, "export");
  const byKind = (kind: SpanKind): ReadableSpan[] => memory.finished().filter((span) => span.kind === kind);
  return { tracing, byKind, finished: memory.finished };
}

describe("recorded spans: one message, parent child", () => {
  it("a CONSUMER span in the message's trace, child of its span, linked to it, with the message's attributes", async () => {
    const { tracing, byKind } = await recording();
    const traceId = plausibleTraceId(3);
    const message = tracedMessage({
      headers: { traceparent: traceparent(traceId, spanIdOf(1)) },
      deliveryTag: 42,
      messageId: "m-1",
      correlationId: "c-1",
    });
    tracing.startInvocation([message], "orders-queue").end();
    const [consumer] = byKind(SpanKind.CONSUMER);
    assert.ok(consumer);
    assert.equal(consumer.name, "process orders-queue");
    assert.equal(consumer.spanContext().traceId, traceId);
    assert.equal(consumer.parentSpanContext?.spanId, spanIdOf(1));
    assert.deepEqual(
      consumer.links.map((link) => link.context.spanId),
      [spanIdOf(1)],
    );
    assert.ok(
      Object.keys(consumer.links[0]?.attributes ?? {}).length === 0,
      "one message: its attributes are the span's, not repeated on the link",
    );
    assert.deepEqual(consumer.attributes, {
      "messaging.system": "rabbitmq",
      "messaging.operation.type": "process",
      "messaging.destination.name": "orders-queue",
      "messaging.rabbitmq.destination.routing_key": "order.created",
      "messaging.rabbitmq.message.delivery_tag": 42,
      "messaging.message.id": "m-1",
      "messaging.message.conversation_id": "c-1",
    });
  });

  it("a CLIENT span per call, whose id is the parent the function sees; tracestate forwarded", async () => {
    const { tracing, byKind } = await recording();
    const traceId = plausibleTraceId(4);
    const message = tracedMessage({
      headers: { traceparent: traceparent(traceId, spanIdOf(1)), tracestate: "a=1" },
    });
    const invocation = tracing.startInvocation([message], "q");
    const call = invocation.startCall(LAMBDA);
    call.end({ requestId: "req-1" });
    invocation.end();
    const [client] = byKind(SpanKind.CLIENT);
    const [consumer] = byKind(SpanKind.CONSUMER);
    assert.ok(client && consumer);
    assert.equal(client.name, "orders-fn");
    assert.equal(client.parentSpanContext?.spanId, consumer.spanContext().spanId);
    assert.deepEqual(client.attributes, {
      "faas.invoked_name": "orders-fn",
      "faas.invoked_provider": "aws",
      "aws.request_id": "req-1",
    });
    assert.deepEqual(decodeClientContext(call.headers), {
      traceparent: traceparent(traceId, client.spanContext().spanId),
      tracestate: "a=1",
    });
    assert.equal(
      call.headers?.["X-Amzn-Trace-Id"],
      `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${client.spanContext().spanId};Sampled=1`,
    );
  });

  it("HTTP calls: HTTP client attributes; failures set error.type and the error status", async () => {
    const { tracing, byKind } = await recording();
    const invocation = tracing.startInvocation([tracedMessage()], "q");
    const call = invocation.startCall({
      kind: "http",
      method: "PUT",
      url: "https://api.example.com:8443/o?x=1",
    });
    call.end({ statusCode: 503, errorType: "server_error" });
    call.end({ statusCode: 200 });
    invocation.end("server_error");
    const [client] = byKind(SpanKind.CLIENT);
    assert.equal(byKind(SpanKind.CLIENT).length, 1, "end is idempotent");
    assert.equal(client?.name, "PUT");
    assert.deepEqual(client?.attributes, {
      "http.request.method": "PUT",
      "url.full": "https://api.example.com:8443/o?x=1",
      "server.address": "api.example.com",
      "http.response.status_code": 503,
      "error.type": "server_error",
    });
    assert.equal(client?.status.code, SpanStatusCode.ERROR);
    assert.equal(byKind(SpanKind.CONSUMER)[0]?.attributes["error.type"], "server_error");
    assert.match(
      call.headers?.traceparent ?? "",
      /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/,
      "a root trace still propagates",
    );
  });

  it("a copy names the CONSUMER span as its parent, in the message's trace", async () => {
    const { tracing, byKind } = await recording();
    const message = tracedMessage({
      headers: { traceparent: traceparent(w3cTraceId(), spanIdOf(1)), tracestate: "a=1" },
    });
    const invocation = tracing.startInvocation([message], "q");
    const copy = invocation.copyHeaders(0);
    invocation.end();
    const consumer = byKind(SpanKind.CONSUMER)[0]?.spanContext();
    assert.deepEqual(copy, {
      traceparent: traceparent(w3cTraceId(), consumer?.spanId ?? ""),
      tracestate: "a=1",
    });
  });
});

describe("recorded spans: a batch, or parent link", () => {
  it("one CONSUMER span in its own trace with a link per message; calls and copies follow the rule", async () => {
    const { tracing, byKind } = await recording();
    const messages = [1, 2, 3].map((n) =>
      tracedMessage({
        headers: { traceparent: traceparent(w3cTraceId(n), spanIdOf(n)), tracestate: `k${n}=1` },
        deliveryTag: n,
      }),
    );
    messages.push(tracedMessage({ headers: { traceparent: "bad" }, deliveryTag: 4 }));
    const invocation = tracing.startInvocation(messages, "q");
    const call = invocation.startCall(LAMBDA);
    const copies = [0, 3].map((index) => invocation.copyHeaders(index));
    call.end();
    invocation.end();
    const [consumer] = byKind(SpanKind.CONSUMER);
    assert.ok(consumer);
    const own = consumer.spanContext();
    assert.equal(consumer.parentSpanContext, undefined, "a root");
    assert.ok(![1, 2, 3].some((n) => own.traceId === w3cTraceId(n)));
    assert.deepEqual(
      consumer.links.map((link) => [
        link.context.traceId,
        link.context.spanId,
        link.attributes?.["messaging.rabbitmq.message.delivery_tag"],
      ]),
      [1, 2, 3].map((n) => [w3cTraceId(n), spanIdOf(n), n]),
    );
    assert.equal(consumer.attributes["messaging.batch.message_count"], 4);
    assert.equal(
      consumer.attributes["messaging.rabbitmq.message.delivery_tag"],
      undefined,
      "per message: on links",
    );
    const sent = decodeClientContext(call.headers);
    assert.equal(sent.traceparent.split("-")[1], own.traceId, "the CONSUMER span's own trace");
    assert.equal(sent.tracestate, undefined, "a message's tracestate belongs to its own trace");
    assert.deepEqual(copies[0], { traceparent: traceparent(w3cTraceId(1), spanIdOf(1)), tracestate: "k1=1" });
    assert.deepEqual(
      copies[1],
      { traceparent: traceparent(own.traceId, own.spanId) },
      "no context: the agent's",
    );
  });

  it("parent link: one message is linked, not parented", async () => {
    const { tracing, byKind } = await recording("link");
    tracing
      .startInvocation(
        [tracedMessage({ headers: { traceparent: traceparent(w3cTraceId(), spanIdOf(1)) } })],
        "q",
      )
      .end();
    const [consumer] = byKind(SpanKind.CONSUMER);
    assert.equal(consumer?.parentSpanContext, undefined);
    assert.notEqual(consumer?.spanContext().traceId, w3cTraceId());
    assert.equal(consumer?.links[0]?.context.traceId, w3cTraceId());
  });
});

describe("recorded spans: shutdown", () => {
  it("ends what is still open as agent_shutdown; nothing ends twice", async () => {
    const { tracing, finished } = await recording();
    const open = tracing.startInvocation([tracedMessage()], "q");
    open.startCall(LAMBDA);
    const done = tracing.startInvocation([tracedMessage()], "q");
    done.end();
    await tracing.shutdown();
    assert.equal(finished().length, 3);
    const cut = finished().filter((span) => span.attributes["error.type"] === SHUTDOWN_ERROR_TYPE);
    assert.deepEqual(cut.map((span) => span.kind).sort(), [SpanKind.CLIENT, SpanKind.CONSUMER].sort());
    open.end();
    assert.equal(finished().length, 3);
  });
});
