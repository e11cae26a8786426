import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SpanKind } from "@opentelemetry/api";
import { createFanOut } from "../../../src/backends/fan-out.js";
import { eventEnvelope } from "../../../src/backends/lambda/event-bytes.js";
import type { Invoker } from "../../../src/backends/lambda/invoke/index.js";
import { createLambdaBackend } from "../../../src/backends/lambda/lambda-backend.js";
import { runBatch } from "../../../src/pipeline/batch-run.js";
import { RateLimiter } from "../../../src/policy/rate-limiter.js";
import { createTracing, type Tracing } from "../../../src/tracing/index.js";
import { type HttpStub, startHttpStub } from "../../helpers/http-stub.js";
import { httpBackend } from "../backends/http/http-backend-fixtures.js";
import { decodeClientContext, NOW, plausibleTraceId, spanIdOf, traceparent } from "../tracing/fixtures.js";
import { inMemorySpanExport } from "../tracing/in-memory-span-export.js";
import { agentMetrics, heldWith, memoryLog } from "./pipeline-fixtures.js";

/** A Lambda backend whose invoker keeps the headers of each call and answers 200. */
function recordingLambda() {
  const headers: Array<Readonly<Record<string, string>> | undefined> = [];
  const invoker: Invoker = {
    async invoke(_chunks, _byteLength, sent) {
      headers.push(sent);
      return { kind: "ok", payload: undefined, durationMs: 1, requestId: "req-lambda" };
    },
    close() {},
  };
  const backend = createLambdaBackend({
    functionName: "orders-fn",
    region: "eu-west-1",
    endpoint: undefined,
    client: "http",
    eventFormat: "rmq",
    batchSize: 1,
    batchWindowMs: 0,
    maxRetries: 0,
    timeoutMs: 1_000,
    sockets: 1,
    envelope: eventEnvelope({ queue: "orders", vhost: "/", sourceArn: "amqp://127.0.0.1:5672/" }),
    invoker,
  });
  return { backend, headers };
}

async function runFanOut(stub: HttpStub, tracing: Tracing, traceId: string) {
  const lambda = recordingLambda();
  const http = httpBackend({ host: [stub.url] });
  const { metrics, throttle } = agentMetrics();
  const held = heldWith({ traceparent: traceparent(traceId, spanIdOf(1)), tracestate: "rojo=1" });
  await runBatch([held], {
    backend: createFanOut([lambda.backend, http], { sequential: false }),
    limiter: new RateLimiter(0),
    metrics,
    log: memoryLog().log,
    throttle,
    finishesDeadChannels: false,
    tracing,
    destination: "orders",
  });
  http.close();
  const request = stub.requests.at(-1);
  assert.ok(request, "the HTTP backend was called");
  return { lambdaHeaders: lambda.headers[0], httpHeaders: request.headers };
}

describe("several backends: each call gets the trace headers of its own backend's kind", () => {
  let stub: HttpStub;
  before(async () => {
    stub = await startHttpStub();
  });
  after(() => stub.close());

  it("propagation: Lambda gets the client context and X-Ray header, the HTTP backend traceparent", async () => {
    const tracing = await createTracing({ enabled: true, parent: "child" }, {}, { now: () => NOW });
    const traceId = plausibleTraceId(41);
    const { lambdaHeaders, httpHeaders } = await runFanOut(stub, tracing, traceId);
    assert.deepEqual(Object.keys(lambdaHeaders ?? {}).sort(), ["X-Amz-Client-Context", "X-Amzn-Trace-Id"]);
    assert.equal(decodeClientContext(lambdaHeaders).traceparent.slice(3, 35), traceId);
    assert.equal(httpHeaders.traceparent?.slice(3, 35), traceId);
    assert.equal(httpHeaders.tracestate, "rojo=1");
    assert.equal(httpHeaders["x-amz-client-context"], undefined);
    assert.equal(httpHeaders["x-amzn-trace-id"], undefined);
  });

  it("export: one CLIENT span per backend call, each the parent its own callee sees", async () => {
    const memory = inMemorySpanExport();
    const tracing = await createTracing(
      { enabled: true, parent: "child" },
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" },
      { now: () => NOW, startSpanExport: memory.startSpanExport },
    );
    const traceId = plausibleTraceId(42);
    const { lambdaHeaders, httpHeaders } = await runFanOut(stub, tracing, traceId);
    const spans = memory.finished();
    const consumer = spans.find((span) => span.kind === SpanKind.CONSUMER);
    const clients = spans.filter((span) => span.kind === SpanKind.CLIENT);
    assert.ok(consumer);
    assert.equal(clients.length, 2);
    const lambdaSpan = clients.find((span) => span.attributes["faas.invoked_name"] === "orders-fn");
    const httpSpan = clients.find((span) => span.attributes["http.request.method"] === "POST");
    assert.ok(lambdaSpan && httpSpan);
    for (const span of clients) {
      assert.equal(span.parentSpanContext?.spanId, consumer.spanContext().spanId);
      assert.equal(span.spanContext().traceId, traceId);
    }
    assert.equal(lambdaSpan.attributes["aws.request_id"], "req-lambda");
    assert.equal(httpSpan.attributes["url.full"], `${stub.url}/orders`);
    assert.equal(httpSpan.attributes["http.response.status_code"], 200);
    assert.equal(httpSpan.attributes["server.address"], new URL(stub.url).hostname);
    assert.equal(
      decodeClientContext(lambdaHeaders).traceparent.slice(36, 52),
      lambdaSpan.spanContext().spanId,
    );
    assert.equal(httpHeaders.traceparent?.slice(36, 52), httpSpan.spanContext().spanId);
  });
});
