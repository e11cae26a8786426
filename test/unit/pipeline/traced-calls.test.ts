import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { Failure } from "../../../src/backends/backend.js";
import { type BatchRunOptions, runBatch } from "../../../src/pipeline/batch-run.js";
import { RateLimiter } from "../../../src/policy/rate-limiter.js";
import { createTracing, TRACING_OFF, type Tracing } from "../../../src/tracing/index.js";
import type { InvocationTrace } from "../../../src/tracing/invocation-trace.js";
import { decodeClientContext, NOW, plausibleTraceId, spanIdOf, traceparent } from "../tracing/fixtures.js";
import { inMemorySpanExport } from "../tracing/in-memory-span-export.js";
import {
  agentMetrics,
  heldWith,
  memoryLog,
  type ScriptedBackend,
  scriptedBackend,
} from "./pipeline-fixtures.js";

const SUCCEEDED = { kind: "succeeded", response: { body: undefined, contentType: undefined } } as const;
const FUNCTION_ERROR: Failure = {
  kind: "function_error",
  errorType: "Unhandled",
  message: "boom",
  durationMs: 1,
};

function runOptions(backend: ScriptedBackend, tracing: Tracing) {
  const { registry, metrics, throttle } = agentMetrics();
  const { log, lines } = memoryLog();
  const options: BatchRunOptions = {
    backend,
    limiter: new RateLimiter(0),
    metrics,
    log,
    throttle,
    finishesDeadChannels: false,
    tracing,
    destination: "orders",
  };
  return { options, registry, lines };
}

async function exporting(parent: "child" | "link" = "child") {
  const memory = inMemorySpanExport();
  const tracing = await createTracing(
    { enabled: true, parent },
    { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" },
    { now: () => NOW, startSpanExport: memory.startSpanExport },
  );
  assert.equal(tracing.mode, "export");
  return { tracing, finished: memory.finished };
}

describe("runBatch carries the trace context into the call", () => {
  it("propagation: the function gets the message's trace id with a span id of the agent's; copies keep the message's", async () => {
    const tracing = await createTracing({ enabled: true, parent: "child" }, {}, { now: () => NOW });
    const traceId = plausibleTraceId(7);
    const held = heldWith({ traceparent: traceparent(traceId, spanIdOf(1)), tracestate: "rojo=1" });
    const backend = scriptedBackend(SUCCEEDED);
    await runBatch([held], runOptions(backend, tracing).options);
    const headers = backend.sent[0]?.headers;
    const sent = decodeClientContext(headers);
    assert.equal(sent.traceparent.slice(3, 35), traceId);
    assert.notEqual(sent.traceparent.slice(36, 52), spanIdOf(1), "never the publisher's span id");
    assert.equal(sent.tracestate, "rojo=1");
    assert.match(headers?.["X-Amzn-Trace-Id"] ?? "", new RegExp(`^Root=1-${traceId.slice(0, 8)}-`));
    assert.equal(held.trace?.copyHeaders(held.traceIndex)?.traceparent, traceparent(traceId, spanIdOf(1)));
  });

  it("tracing off: no header is added, nothing is read", async () => {
    const held = heldWith({ traceparent: traceparent(plausibleTraceId(), spanIdOf(1)) });
    const backend = scriptedBackend(SUCCEEDED);
    await runBatch([held], runOptions(backend, TRACING_OFF).options);
    assert.equal(backend.sent[0]?.extras, undefined);
    assert.equal(held.trace?.copyHeaders(0), undefined);
  });

  it("an HTTP backend gets traceparent and tracestate, not Lambda's headers", async () => {
    const tracing = await createTracing({ enabled: true, parent: "child" }, {}, { now: () => NOW });
    const traceId = plausibleTraceId(8);
    const backend = scriptedBackend(SUCCEEDED, {}, { kind: "http", method: "POST", url: "http://h/x" });
    await runBatch(
      [heldWith({ traceparent: traceparent(traceId, spanIdOf(1)), tracestate: "k=v" })],
      runOptions(backend, tracing).options,
    );
    const headers = backend.sent[0]?.headers ?? {};
    assert.deepEqual(Object.keys(headers).sort(), ["traceparent", "tracestate"]);
    assert.equal(headers.traceparent?.slice(3, 35), traceId);
  });

  it("counts what Lambda's client-context limit left out, by part", async () => {
    const invocation: InvocationTrace = {
      traceId: undefined,
      startCall: () => ({ headers: undefined, dropped: "context", traceId: undefined, end() {} }),
      copyHeaders: () => undefined,
      startSettle: () => ({ end() {} }),
      end() {},
    };
    const dropping: Tracing = { ...TRACING_OFF, mode: "propagate", startInvocation: () => invocation };
    const { options, registry } = runOptions(scriptedBackend(SUCCEEDED), dropping);
    await runBatch([heldWith(undefined)], options);
    const values = (await registry.traceContextDropped.get()).values;
    const value = (part: string) =>
      values.find((v) => v.labels.part === part && v.labels.agent === "a")?.value;
    assert.equal(value("context"), 1);
    assert.equal(value("tracestate"), 0);
  });
});

describe("runBatch records one CONSUMER and one CLIENT span per call, ended when the call is over", () => {
  it("a batch: one CONSUMER span linking every message, its CLIENT span with aws.request_id", async () => {
    const { tracing, finished } = await exporting();
    const traceIds = [1, 2, 3].map((n) => plausibleTraceId(20 + n));
    const batch = traceIds.map((id, i) => heldWith({ traceparent: traceparent(id, spanIdOf(i + 1)) }, i + 1));
    const backend = scriptedBackend(SUCCEEDED, { requestId: "req-1" });
    await runBatch(batch, runOptions(backend, tracing).options);
    const consumers = finished().filter((span) => span.kind === SpanKind.CONSUMER);
    const clients = finished().filter((span) => span.kind === SpanKind.CLIENT);
    assert.equal(consumers.length, 1);
    assert.equal(clients.length, 1);
    const [consumer, client] = [consumers[0], clients[0]];
    assert.ok(consumer && client);
    assert.deepEqual(
      consumer.links.map((link) => link.context.traceId),
      traceIds,
    );
    assert.equal(client.parentSpanContext?.spanId, consumer.spanContext().spanId);
    assert.equal(client.attributes["faas.invoked_name"], "orders-fn");
    assert.equal(client.attributes["aws.request_id"], "req-1");
    const sent = decodeClientContext(backend.sent[0]?.headers);
    assert.equal(
      sent.traceparent.slice(36, 52),
      client.spanContext().spanId,
      "the callee's parent is the CLIENT span",
    );
  });

  it("a failed call: both spans failed with the failure kind; the warning carries the trace id", async () => {
    const { tracing, finished } = await exporting();
    const traceId = plausibleTraceId(30);
    const backend = scriptedBackend(
      { kind: "failed", failure: FUNCTION_ERROR, scope: "ambiguous" },
      { outcome: "function_error", failure: FUNCTION_ERROR, scope: "ambiguous", requestId: "req-2" },
    );
    const { options, lines } = runOptions(backend, tracing);
    await runBatch([heldWith({ traceparent: traceparent(traceId, spanIdOf(1)) })], options);
    for (const span of finished()) {
      assert.equal(span.status.code, SpanStatusCode.ERROR, span.name);
      assert.equal(span.attributes["error.type"], "function_error", span.name);
    }
    assert.equal(finished().length, 2);
    const warning = lines.find((line) => String(line.msg).startsWith("invocation of orders-fn failed"));
    assert.equal(warning?.traceId, traceId);
  });

  it("every message failed in a call that succeeded: the CONSUMER span failed, the CLIENT span did not", async () => {
    const { tracing, finished } = await exporting();
    const itemFailure: Failure = { ...FUNCTION_ERROR, kind: "item_failure", errorType: "BatchItemFailure" };
    const backend = scriptedBackend({ kind: "failed", failure: itemFailure, scope: "ambiguous" });
    await runBatch([heldWith(undefined, 1), heldWith(undefined, 2)], runOptions(backend, tracing).options);
    const consumer = finished().find((span) => span.kind === SpanKind.CONSUMER);
    const client = finished().find((span) => span.kind === SpanKind.CLIENT);
    assert.equal(consumer?.attributes["error.type"], "item_failure");
    assert.equal(client?.status.code, SpanStatusCode.UNSET);
  });
});
