/**
 * The CLIENT span of one backend call when spans are recorded: a Lambda invocation (FaaS client
 * attributes) or an HTTP request (HTTP client attributes), a child of the invocation's CONSUMER span.
 *
 * @module
 */
import {
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
} from "@opentelemetry/api";
import { callHeaders, type OutgoingTraceContext } from "./call-headers.js";
import type { CallResult, CallTarget, CallTrace } from "./invocation-trace.js";
import {
  ERROR_TYPE_ATTRIBUTE,
  FAAS_ATTRIBUTES,
  FAAS_PROVIDER_AWS,
  HTTP_CLIENT_ATTRIBUTES,
} from "./span-attributes.js";

export const isSampled = (context: SpanContext): boolean => (context.traceFlags & TraceFlags.SAMPLED) !== 0;

/** Ends `span`, as failed with `error.type` when `errorType` is given. */
export function endWithError(span: Span, errorType: string | undefined): void {
  if (errorType !== undefined) {
    span.setAttribute(ERROR_TYPE_ATTRIBUTE, errorType);
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

function startClientSpan(tracer: Tracer, target: CallTarget, parent: Context): Span {
  if (target.kind === "lambda") {
    const attributes = {
      [FAAS_ATTRIBUTES.invokedName]: target.functionName,
      [FAAS_ATTRIBUTES.invokedProvider]: FAAS_PROVIDER_AWS,
    };
    return tracer.startSpan(target.functionName, { kind: SpanKind.CLIENT, attributes }, parent);
  }
  const attributes: Attributes = {
    [HTTP_CLIENT_ATTRIBUTES.requestMethod]: target.method,
    [HTTP_CLIENT_ATTRIBUTES.urlFull]: target.url,
  };
  const address = target.address ?? URL.parse(target.url)?.hostname;
  if (address) attributes[HTTP_CLIENT_ATTRIBUTES.serverAddress] = address;
  return tracer.startSpan(target.method, { kind: SpanKind.CLIENT, attributes }, parent);
}

export interface RecordedCallOptions {
  tracer: Tracer;
  target: CallTarget;
  /** The CONSUMER span's context. */
  parent: Context;
  /** Forwarded as is (already trimmed). */
  tracestate: string | undefined;
  nowMs: number;
  onEnd: (call: RecordedCall) => void;
}

export class RecordedCall implements CallTrace {
  readonly headers: CallTrace["headers"];
  readonly dropped: CallTrace["dropped"];
  readonly traceId: string;
  readonly #span: Span;
  readonly #onEnd: (call: RecordedCall) => void;
  #open = true;

  constructor({ tracer, target, parent, tracestate, nowMs, onEnd }: RecordedCallOptions) {
    this.#span = startClientSpan(tracer, target, parent);
    this.#onEnd = onEnd;
    const span = this.#span.spanContext();
    this.traceId = span.traceId;
    const outgoing: OutgoingTraceContext = {
      traceId: span.traceId,
      spanId: span.spanId,
      sampled: isSampled(span),
      tracestate,
    };
    ({ headers: this.headers, dropped: this.dropped } = callHeaders(target.kind, outgoing, nowMs));
  }

  end(result: CallResult = {}): void {
    if (!this.#open) return;
    this.#open = false;
    this.#onEnd(this);
    if (result.requestId !== undefined)
      this.#span.setAttribute(FAAS_ATTRIBUTES.awsRequestId, result.requestId);
    if (result.statusCode !== undefined)
      this.#span.setAttribute(HTTP_CLIENT_ATTRIBUTES.responseStatusCode, result.statusCode);
    endWithError(this.#span, result.errorType);
  }
}
