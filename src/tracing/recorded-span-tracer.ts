/**
 * The tracer of exported spans: the OpenTelemetry SDK's sampler, resource and span processor (its
 * batching and the OTLP exporter behind it) with a span of the agent's own, a plain record of what
 * the SDK's span would hold. The SDK's span class (attribute sanitizing twice, link copies, tracer
 * metrics, clock anchoring) cost most of a recorded span; the agent's spans are few and their
 * attributes its own, already of the right types.
 *
 * @module
 */
import {
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  SamplingDecision,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type { ReadableSpan, Sampler, SpanProcessor, TimedEvent } from "@opentelemetry/sdk-trace-base";

/** What starts spans: the one method of `Tracer` the agent calls. */
export type SpanStarter = Pick<Tracer, "startSpan">;

export interface RecordedSpanTracerOptions {
  sampler: Sampler;
  resource: ReadableSpan["resource"];
  scope: ReadableSpan["instrumentationScope"];
  /** Told of each span as it ends (`onStart` is not called: the SDK's processors do nothing there). */
  processor: Pick<SpanProcessor, "onEnd">;
  generateTraceId: () => string;
  generateSpanId: () => string;
}

/** The time now with microseconds, as OpenTelemetry's `[seconds, nanoseconds]`. */
function now(): HrTime {
  const ms = performance.timeOrigin + performance.now();
  const seconds = Math.trunc(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

function elapsed(start: HrTime, end: HrTime): HrTime {
  let seconds = end[0] - start[0];
  let nanos = end[1] - start[1];
  if (nanos < 0) {
    seconds -= 1;
    nanos += 1e9;
  }
  return [seconds, nanos];
}

interface RecordedSpanInit {
  name: string;
  kind: SpanKind;
  context: SpanContext;
  parent: SpanContext | undefined;
  attributes: Attributes;
  links: Link[];
  options: RecordedSpanTracerOptions;
}

/** One span being recorded; handed to the processor when it ends, as the SDK's `ReadableSpan`. */
class RecordedSpan implements Span, ReadableSpan {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime = now();
  endTime: HrTime = [0, 0];
  duration: HrTime = [0, 0];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: TimedEvent[] = [];
  ended = false;
  readonly resource: ReadableSpan["resource"];
  readonly instrumentationScope: ReadableSpan["instrumentationScope"];
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly #context: SpanContext;
  readonly #processor: Pick<SpanProcessor, "onEnd">;

  constructor(init: RecordedSpanInit) {
    this.name = init.name;
    this.kind = init.kind;
    this.#context = init.context;
    this.parentSpanContext = init.parent;
    this.attributes = init.attributes;
    this.links = init.links;
    this.resource = init.options.resource;
    this.instrumentationScope = init.options.scope;
    this.#processor = init.options.processor;
  }

  spanContext(): SpanContext {
    return this.#context;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (!this.ended && value !== undefined && value !== null) this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const [key, value] of Object.entries(attributes))
      if (value !== undefined) this.setAttribute(key, value);
    return this;
  }

  addEvent(name: string, attributes?: Attributes | HrTime | number | Date): this {
    if (this.ended) return this;
    const own = typeof attributes === "object" && !Array.isArray(attributes) && !(attributes instanceof Date);
    this.events.push({ name, time: now(), attributes: own ? attributes : {}, droppedAttributesCount: 0 });
    return this;
  }

  addLink(link: Link): this {
    if (!this.ended) this.links.push(link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (!this.ended) this.status = { ...status };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.endTime = now();
    this.duration = elapsed(this.startTime, this.endTime);
    this.#processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception): void {
    const error = typeof exception === "string" ? { message: exception } : exception;
    this.addEvent("exception", {
      "exception.type": String(("name" in error && error.name) || "Error"),
      "exception.message": String(error.message ?? ""),
    });
  }
}

/**
 * Starts spans as the SDK's tracer does (a child of the context's span unless `root`, the sampler
 * deciding; not recorded: a context-only span), recorded by {@link RecordedSpan}.
 */
export class RecordedSpanTracer implements SpanStarter {
  readonly #options: RecordedSpanTracerOptions;

  constructor(options: RecordedSpanTracerOptions) {
    this.#options = options;
  }

  startSpan(name: string, spanOptions: SpanOptions = {}, context: Context = ROOT_CONTEXT): Span {
    const options = this.#options;
    const scoped = spanOptions.root ? trace.deleteSpan(context) : context;
    const found = trace.getSpanContext(scoped);
    const parent = found && isSpanContextValid(found) ? found : undefined;
    const traceId = parent?.traceId ?? options.generateTraceId();
    const kind = spanOptions.kind ?? SpanKind.INTERNAL;
    const attributes: Attributes = { ...spanOptions.attributes };
    const links = spanOptions.links ? [...spanOptions.links] : [];
    const sampling = options.sampler.shouldSample(scoped, traceId, name, kind, attributes, links);
    const spanContext: SpanContext = {
      traceId,
      spanId: options.generateSpanId(),
      traceFlags:
        sampling.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
    };
    const traceState = sampling.traceState ?? parent?.traceState;
    if (traceState !== undefined) spanContext.traceState = traceState;
    if (sampling.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    if (sampling.attributes) Object.assign(attributes, sampling.attributes);
    return new RecordedSpan({ name, kind, context: spanContext, parent, attributes, links, options });
  }
}
