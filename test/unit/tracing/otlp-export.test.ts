import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTracing, type Tracing } from "../../../src/tracing/index.js";
import { type OtlpStub, startOtlpStub } from "../../helpers/otlp-stub.js";
import { decodeClientContext, spanIdOf, tracedMessage, traceparent, w3cTraceId } from "./fixtures.js";

/** OTLP's span kinds. */
const CLIENT = 3;
const CONSUMER = 5;

let stub: OtlpStub;
before(async () => {
  stub = await startOtlpStub();
});
after(() => stub.close());

async function exportingTo(
  env: Record<string, string>,
  parent: "child" | "link" = "child",
): Promise<Tracing> {
  const tracing = await createTracing(
    { enabled: true, parent },
    { OTEL_EXPORTER_OTLP_ENDPOINT: stub.endpoint, ...env },
  );
  assert.equal(tracing.mode, "export", tracing.notes.join("\n"));
  return tracing;
}

/** The spans the stub received in trace `traceId`, or linked to it. */
const spansOf = (traceId: string) =>
  stub.spans.filter(
    (span) => span.traceId === traceId || span.links.some((link) => link.traceId === traceId),
  );

for (const protocol of ["http/protobuf", "http/json"] as const) {
  describe(`spans exported over OTLP ${protocol} to a local collector`, () => {
    it("a batch of 10 messages: one CONSUMER span with 10 links, one CLIENT span; flushed at shutdown", async () => {
      const tracing = await exportingTo({
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_SERVICE_NAME: `agent-${protocol}`,
      });
      const traceIds = Array.from({ length: 10 }, (_, i) =>
        w3cTraceId(1000 + i + (protocol === "http/json" ? 100 : 0)),
      );
      const messages = traceIds.map((traceId, i) =>
        tracedMessage({
          headers: { traceparent: traceparent(traceId, spanIdOf(i + 1)) },
          deliveryTag: i + 1,
        }),
      );
      const invocation = tracing.startInvocation(messages, "orders");
      const call = invocation.startCall({ kind: "lambda", functionName: "orders-fn" });
      call.end({ requestId: "req-9" });
      invocation.end();
      await tracing.shutdown();

      const received = spansOf(traceIds[0] as string);
      const consumer = received.find((span) => span.kind === CONSUMER);
      assert.ok(consumer, `no CONSUMER span among ${stub.spans.length}`);
      assert.equal(consumer.name, "process orders");
      assert.deepEqual(
        consumer.links.map((link) => link.traceId),
        traceIds,
      );
      assert.equal(consumer.attributes["messaging.batch.message_count"], 10);
      assert.equal(consumer.attributes["messaging.system"], "rabbitmq");
      assert.equal(consumer.resource["service.name"], `agent-${protocol}`);
      const clients = stub.spans.filter(
        (span) => span.kind === CLIENT && span.parentSpanId === consumer.spanId,
      );
      assert.equal(clients.length, 1);
      assert.equal(clients[0]?.traceId, consumer.traceId);
      assert.equal(clients[0]?.attributes["aws.request_id"], "req-9");
      assert.equal(
        decodeClientContext(call.headers).traceparent,
        traceparent(consumer.traceId, clients[0]?.spanId ?? ""),
      );
      const contentType = protocol === "http/json" ? "application/json" : "application/x-protobuf";
      assert.ok(stub.requests.some((request) => request.contentType.startsWith(contentType)));
    });

    it("one message, parent child: the CONSUMER span is in the message's trace, under its span", async () => {
      const tracing = await exportingTo({ OTEL_EXPORTER_OTLP_PROTOCOL: protocol });
      const traceId = w3cTraceId(protocol === "http/json" ? 2 : 3);
      tracing
        .startInvocation(
          [tracedMessage({ headers: { traceparent: traceparent(traceId, spanIdOf(5)) } })],
          "q",
        )
        .end("function_error");
      await tracing.shutdown();
      const consumer = spansOf(traceId).find((span) => span.kind === CONSUMER);
      assert.equal(consumer?.traceId, traceId);
      assert.equal(consumer?.parentSpanId, spanIdOf(5));
      assert.equal(consumer?.attributes["error.type"], "function_error");
      assert.equal(consumer?.statusCode, 2, "status ERROR");
    });
  });
}

describe("export settings reach the exporter", () => {
  it("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as the full URL", async () => {
    const tracing = await exportingTo({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${stub.endpoint}/custom/v1/traces`,
    });
    const traceId = w3cTraceId(4);
    tracing
      .startInvocation([tracedMessage({ headers: { traceparent: traceparent(traceId, spanIdOf(1)) } })], "q")
      .end();
    await tracing.shutdown();
    assert.equal(spansOf(traceId).length, 1);
    assert.ok(stub.requests.some((request) => request.path === "/custom/v1/traces"));
  });

  it("OTEL_TRACES_SAMPLER=always_off: nothing exported, the context still propagated (not sampled)", async () => {
    const tracing = await exportingTo({ OTEL_TRACES_SAMPLER: "always_off" });
    const traceId = w3cTraceId(5);
    const message = tracedMessage({ headers: { traceparent: traceparent(traceId, spanIdOf(1)) } });
    const invocation = tracing.startInvocation([message], "q");
    const call = invocation.startCall({ kind: "http", method: "POST", url: "http://backend/x" });
    call.end();
    invocation.end();
    await tracing.shutdown();
    assert.deepEqual(spansOf(traceId), []);
    assert.match(
      call.headers?.traceparent ?? "",
      new RegExp(`^00-${traceId}-(?!${spanIdOf(1)})[0-9a-f]{16}-00$`),
    );
  });
});
