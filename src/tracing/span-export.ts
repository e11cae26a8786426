/**
 * The OpenTelemetry SDK and its OTLP/HTTP exporter, loaded with dynamic `import()` only when spans
 * are exported: with export off none of these modules is ever loaded.
 *
 * @module
 */
import type { Tracer } from "@opentelemetry/api";
import type { Sampler } from "@opentelemetry/sdk-trace-base";
import type { ExportSettings } from "./export-settings.js";
import { randomSpanId, xrayCompatibleTraceId } from "./trace-ids.js";

/** A tracer whose spans are exported, and the way to flush them. */
export interface SpanExport {
  tracer: Tracer;
  /** Exports the spans ended so far and stops; settles within `timeoutMs` whatever the collector does. */
  shutdown(timeoutMs: number): Promise<void>;
}

type SdkModule = typeof import("@opentelemetry/sdk-trace-base");

function samplerOf(sdk: SdkModule, settings: ExportSettings): Sampler {
  const ratio = () => new sdk.TraceIdRatioBasedSampler(settings.samplerRatio);
  switch (settings.sampler) {
    case "always_on":
      return new sdk.AlwaysOnSampler();
    case "always_off":
      return new sdk.AlwaysOffSampler();
    case "traceidratio":
      return ratio();
    case "parentbased_always_off":
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new sdk.ParentBasedSampler({ root: ratio() });
    default:
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
  }
}

/** Settles when `work` does or after `timeoutMs`, whichever comes first; the timer never outlives it. */
async function bounded(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  try {
    await Promise.race([work.then(undefined, () => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Loads the SDK and the exporter `settings.protocol` needs, and starts a tracer provider (not registered globally). */
export async function startSpanExport(settings: ExportSettings): Promise<SpanExport> {
  const [sdk, resources, conventions, exporters] = await Promise.all([
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/semantic-conventions"),
    settings.protocol === "http/json"
      ? import("@opentelemetry/exporter-trace-otlp-http")
      : import("@opentelemetry/exporter-trace-otlp-proto"),
  ]);
  const provider = new sdk.BasicTracerProvider({
    resource: resources
      .defaultResource()
      .merge(resources.resourceFromAttributes({ [conventions.ATTR_SERVICE_NAME]: settings.serviceName })),
    sampler: samplerOf(sdk, settings),
    // Trace ids X-Ray accepts too, so a trace the agent starts also reaches X-Ray.
    idGenerator: { generateTraceId: () => xrayCompatibleTraceId(Date.now()), generateSpanId: randomSpanId },
    spanProcessors: [new sdk.BatchSpanProcessor(new exporters.OTLPTraceExporter({ url: settings.url }))],
  });
  return {
    tracer: provider.getTracer("amqp-lambda-agent"),
    shutdown: (timeoutMs) => bounded(provider.shutdown(), timeoutMs),
  };
}
