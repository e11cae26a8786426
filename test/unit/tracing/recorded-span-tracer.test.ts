import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createTraceState,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
} from "@opentelemetry/sdk-trace-base";
import { RecordedSpanTracer } from "../../../src/tracing/recorded-span-tracer.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const resource = resourceFromAttributes({ "service.name": "test" });

function tracer(sampler: Sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() })) {
  const ended: ReadableSpan[] = [];
  let ids = 0;
  const subject = new RecordedSpanTracer({
    sampler,
    resource,
    scope: { name: "scope" },
    processor: { onEnd: (span) => ended.push(span) },
    generateTraceId: () => TRACE_ID,
    generateSpanId: () => (++ids).toString(16).padStart(16, "0"),
  });
  return { subject, ended };
}

const remoteParent = (sampled: boolean): SpanContext => ({
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
  isRemote: true,
  traceState: createTraceState("rojo=1"),
});

describe("RecordedSpanTracer: the SDK's sampler and processor, a span of the agent's own", () => {
  it("records a root span as the SDK's ReadableSpan, handed to the processor once when it ends", () => {
    const { subject, ended } = tracer();
    const attributes = { "messaging.system": "rabbitmq" };
    const link = { context: remoteParent(true) };
    const span = subject.startSpan("process q", { kind: SpanKind.CONSUMER, attributes, links: [link] });
    assert.equal(span.isRecording(), true);
    span.setAttribute("messaging.batch.message_count", 2).setAttributes({ "error.type": "timeout" });
    span.addEvent("retry", { attempt: 2 });
    span.recordException(new TypeError("boom"));
    span.updateName("process orders");
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    span.end();
    span.setAttribute("late", 1);
    assert.equal(ended.length, 1);
    const [recorded] = ended;
    assert.ok(recorded);
    assert.equal(recorded.name, "process orders");
    assert.equal(recorded.kind, SpanKind.CONSUMER);
    assert.deepEqual(recorded.spanContext(), {
      traceId: TRACE_ID,
      spanId: "0000000000000001",
      traceFlags: TraceFlags.SAMPLED,
    });
    assert.equal(recorded.parentSpanContext, undefined);
    assert.deepEqual(recorded.attributes, {
      "messaging.system": "rabbitmq",
      "messaging.batch.message_count": 2,
      "error.type": "timeout",
    });
    assert.deepEqual(attributes, { "messaging.system": "rabbitmq" }, "the caller's object is not changed");
    assert.deepEqual(recorded.links, [link]);
    assert.deepEqual(
      recorded.events.map((event) => [event.name, event.attributes]),
      [
        ["retry", { attempt: 2 }],
        ["exception", { "exception.type": "TypeError", "exception.message": "boom" }],
      ],
    );
    assert.equal(recorded.status.code, SpanStatusCode.ERROR);
    assert.equal(recorded.ended, true);
    assert.equal(span.isRecording(), false);
    assert.equal(recorded.resource, resource);
    assert.deepEqual(recorded.instrumentationScope, { name: "scope" });
    const toNanos = ([seconds, nanos]: readonly [number, number]) =>
      BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
    assert.ok(toNanos(recorded.startTime) > BigInt(Date.parse("2020-01-01")) * 1_000_000n, "wall-clock time");
    assert.equal(toNanos(recorded.duration), toNanos(recorded.endTime) - toNanos(recorded.startTime));
    assert.ok(recorded.duration[1] >= 0 && recorded.duration[1] < 1e9);
  });

  it("a child of the context's span: its trace, its trace state, its id as the parent", () => {
    const { subject, ended } = tracer();
    const parent = remoteParent(true);
    subject.startSpan("call", { kind: SpanKind.CLIENT }, trace.setSpanContext(ROOT_CONTEXT, parent)).end();
    const [recorded] = ended;
    assert.equal(recorded?.spanContext().traceId, parent.traceId);
    assert.equal(recorded?.spanContext().traceState?.serialize(), "rojo=1");
    assert.equal(recorded?.parentSpanContext?.spanId, parent.spanId);
  });

  it("root: the context's span is ignored (a new trace, no parent)", () => {
    const { subject, ended } = tracer();
    const context = trace.setSpanContext(ROOT_CONTEXT, remoteParent(true));
    subject.startSpan("process q", { root: true }, context).end();
    assert.equal(ended[0]?.spanContext().traceId, TRACE_ID);
    assert.equal(ended[0]?.parentSpanContext, undefined);
  });

  it("not sampled: a span that only carries its context, never handed to the processor", () => {
    for (const [sampler, context] of [
      [new AlwaysOffSampler(), ROOT_CONTEXT],
      [
        new ParentBasedSampler({ root: new AlwaysOnSampler() }),
        trace.setSpanContext(ROOT_CONTEXT, remoteParent(false)),
      ],
    ] as const) {
      const { subject, ended } = tracer(sampler);
      const span = subject.startSpan("x", {}, context);
      assert.equal(span.isRecording(), false);
      assert.equal(span.spanContext().traceFlags, TraceFlags.NONE);
      assert.match(span.spanContext().spanId, /^[0-9a-f]{16}$/);
      span.end();
      assert.equal(ended.length, 0);
    }
  });
});
