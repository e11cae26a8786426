import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SpanKind } from "@opentelemetry/api";
import type { Options } from "amqplib";
import type { Failure } from "../../../src/backends/backend.js";
import { resolveConfig } from "../../../src/config/index.js";
import { AGENT_HEADERS } from "../../../src/copies/agent-headers.js";
import { HEADER_BUDGET_BYTES } from "../../../src/copies/republish-headers.js";
import type { HeldMessage } from "../../../src/held/held-message.js";
import type { Step } from "../../../src/policy/decide.js";
import { Settler } from "../../../src/settle/settler.js";
import { createTracing } from "../../../src/tracing/index.js";
import { seedAgent } from "../config/fixtures.js";
import { NOW, plausibleTraceId, spanIdOf, traceparent } from "../tracing/fixtures.js";
import { inMemorySpanExport } from "../tracing/in-memory-span-export.js";
import { agentMetrics, heldWith, memoryLog } from "./pipeline-fixtures.js";

const FAILURE: Failure = { kind: "function_error", errorType: "Unhandled", message: "boom", durationMs: 1 };
const config = resolveConfig({ async_agent: [seedAgent()] }, {}).agents[0];
assert.ok(config);

async function setUp(settleSpans = false) {
  const memory = inMemorySpanExport();
  const tracing = await createTracing(
    { enabled: true, parent: "child", settleSpans },
    { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" },
    { now: () => NOW, startSpanExport: memory.startSpanExport },
  );
  const published: Array<{ routingKey: string; options: Options.Publish }> = [];
  const { metrics, throttle } = agentMetrics();
  const { log, lines } = memoryLog();
  const settler = new Settler({
    config: config as NonNullable<typeof config>,
    backendLabel: "my-fn",
    metrics,
    log,
    throttle,
    publish: async (_exchange, routingKey, _content, options) => {
      published.push({ routingKey, options });
      return "confirmed";
    },
    decide: () => assert.fail("no copy fails here"),
  });
  /** Holds a message that went through one invocation (a CONSUMER span in its trace), as runBatch leaves it. */
  const invoked = (headers: Record<string, unknown>): HeldMessage => {
    const held = heldWith(headers);
    held.trace = tracing.startInvocation([held], "orders");
    held.traceIndex = 0;
    held.trace.end();
    return held;
  };
  return { settler, published, lines, invoked, finished: memory.finished };
}

const settle = (settler: Settler, held: HeldMessage, step: Step) =>
  settler.settle(held, { step, ended: "failed" }, FAILURE);

describe("copies carry the message's trace, the agent's traceparent first", () => {
  const traceId = plausibleTraceId(40);
  const original = traceparent(traceId, spanIdOf(1));

  it("a dead letter: the CONSUMER span is its parent, in the message's trace; the log line names the trace", async () => {
    const { settler, published, lines, invoked, finished } = await setUp();
    const held = invoked({ traceparent: original, tracestate: "rojo=1" });
    await settle(settler, held, { do: "dead_letter" });
    const consumer = finished().find((span) => span.kind === SpanKind.CONSUMER);
    const headers = published[0]?.options.headers ?? {};
    assert.equal(headers.traceparent, traceparent(traceId, consumer?.spanContext().spanId ?? ""));
    assert.notEqual(headers.traceparent, original);
    assert.equal(headers.tracestate, "rojo=1");
    const line = lines.find((l) => String(l.msg).includes("dead-lettered"));
    assert.equal(line?.traceId, traceId);
  });

  it("a retry-queue copy and a set-aside copy carry it too", async () => {
    const { settler, published, invoked } = await setUp();
    const step = { delayMs: 1000, queue: "krakend.retry.1s", routingKey: "retry.1s" };
    await settle(settler, invoked({ traceparent: original }), { do: "retry_queue", step, round: 1 });
    await settle(settler, invoked({ traceparent: original }), { do: "set_aside" });
    assert.deepEqual(
      published.map((p) => p.routingKey),
      ["retry.1s", "retry.setaside"],
    );
    for (const { options } of published) {
      assert.equal(String(options.headers?.traceparent).slice(3, 35), traceId);
      assert.notEqual(options.headers?.traceparent, original);
    }
  });

  it("the message's own trace headers never count against the original headers' budget", async () => {
    const { settler, published, invoked } = await setUp();
    const big = "x".repeat(HEADER_BUDGET_BYTES - 200);
    // Too long to forward: dropped with the original traceparent, never making room for itself.
    const hugeState = `a=${"b".repeat(30_000)}`;
    await settle(settler, invoked({ traceparent: original, tracestate: hugeState, big }), {
      do: "dead_letter",
    });
    const headers = published[0]?.options.headers ?? {};
    assert.equal(String(headers.traceparent).slice(3, 35), traceId);
    assert.equal(headers.tracestate, undefined);
    assert.equal(headers.big, big, "kept: the message's tracestate did not take its room");
    assert.equal(headers[AGENT_HEADERS.headersTruncated], undefined);
  });

  it("over the budget, the original headers give way, never the agent's traceparent", async () => {
    const { settler, published, invoked } = await setUp();
    const held = invoked({ traceparent: original, tracestate: "k=v", big: "x".repeat(HEADER_BUDGET_BYTES) });
    await settle(settler, held, { do: "dead_letter" });
    const headers = published[0]?.options.headers ?? {};
    assert.equal(String(headers.traceparent).slice(3, 35), traceId);
    assert.equal(headers.tracestate, "k=v");
    assert.equal(headers.big, undefined, "the largest original header was left out");
    assert.match(String(headers[AGENT_HEADERS.headersTruncated]), /"big"/);
  });

  it("a message never invoked keeps its headers as they are", async () => {
    const { settler, published } = await setUp();
    await settle(settler, heldWith({ traceparent: original }), { do: "dead_letter" });
    assert.equal(published[0]?.options.headers?.traceparent, original);
  });
});

describe("settle spans (opt-in)", () => {
  it("on: one CLIENT span per settlement, a child of the CONSUMER span", async () => {
    const { settler, invoked, finished } = await setUp(true);
    await settle(settler, invoked({ traceparent: traceparent(plausibleTraceId(41), spanIdOf(1)) }), {
      do: "ack",
    });
    await settle(settler, invoked({}), { do: "dead_letter" });
    const settles = finished().filter((span) => span.attributes["messaging.operation.type"] === "settle");
    assert.deepEqual(
      settles.map((span) => span.name),
      ["ack orders", "dead_letter orders"],
    );
    const consumers = finished().filter((span) => span.kind === SpanKind.CONSUMER);
    for (const [i, span] of settles.entries()) {
      assert.equal(span.kind, SpanKind.CLIENT);
      assert.equal(span.parentSpanContext?.spanId, consumers[i]?.spanContext().spanId);
      assert.equal(span.attributes["messaging.operation.name"], span.name.split(" ")[0]);
    }
  });

  it("off (the default): none", async () => {
    const { settler, invoked, finished } = await setUp(false);
    await settle(settler, invoked({}), { do: "ack" });
    assert.equal(finished().filter((span) => span.kind === SpanKind.CLIENT).length, 0);
  });
});
