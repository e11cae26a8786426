/** An exporting Tracing's tracer whose spans stay in memory (no network, no lazy loading). */
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import type { SpanExport } from "../../../src/tracing/span-export.js";

export function inMemorySpanExport(): {
  startSpanExport: () => Promise<SpanExport>;
  finished: () => ReadableSpan[];
} {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return {
    startSpanExport: async () => ({
      tracer: provider.getTracer("test"),
      shutdown: async () => {},
    }),
    finished: () => exporter.getFinishedSpans(),
  };
}
