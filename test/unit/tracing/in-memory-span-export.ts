/** An exporting Tracing's tracer whose spans stay in memory (no network, no lazy loading). */
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { RecordedSpanTracer } from "../../../src/tracing/recorded-span-tracer.js";
import type { SpanExport } from "../../../src/tracing/span-export.js";
import { randomSpanId, xrayCompatibleTraceId } from "../../../src/tracing/trace-ids.js";

/** The agent's own tracer, as `startSpanExport` makes it, with a processor that keeps every span. */
export function inMemorySpanExport(
  sampler: Sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() }),
): {
  startSpanExport: () => Promise<SpanExport>;
  finished: () => ReadableSpan[];
} {
  const exporter = new InMemorySpanExporter();
  const tracer = new RecordedSpanTracer({
    sampler,
    resource: resourceFromAttributes({ "service.name": "test" }),
    scope: { name: "test" },
    processor: new SimpleSpanProcessor(exporter),
    generateTraceId: () => xrayCompatibleTraceId(Date.now()),
    generateSpanId: randomSpanId,
  });
  return {
    startSpanExport: async () => ({ tracer, shutdown: async () => {} }),
    finished: () => exporter.getFinishedSpans(),
  };
}
