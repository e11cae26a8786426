import { Counter, type Registry } from "prom-client";
import type { DroppedTraceContextPart } from "../tracing/index.js";

const PARTS: readonly DroppedTraceContextPart[] = ["tracestate", "context"];

type DroppedCounter = Counter<"agent" | "part">;

/** `amqp_lambda_agent_trace_context_dropped_total{agent, part}`: what Lambda's client-context limit left out. */
export function traceContextDroppedCounter(registry: Registry): DroppedCounter {
  return new Counter({
    name: "amqp_lambda_agent_trace_context_dropped_total",
    help: "Invocations whose X-Amz-Client-Context left out the tracestate, or the whole trace context, to stay within 3,583 bytes",
    labelNames: ["agent", "part"],
    registers: [registry],
  });
}

/** One agent's series, each starting at 0; the function gives the series of a part. */
export function traceContextDroppedOf(counter: DroppedCounter, agent: string) {
  const series = new Map(PARTS.map((part) => [part, counter.labels({ agent, part })]));
  for (const bound of series.values()) bound.inc(0);
  return (part: DroppedTraceContextPart) => series.get(part) as ReturnType<DroppedCounter["labels"]>;
}
