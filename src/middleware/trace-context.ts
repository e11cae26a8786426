import type { RabbitMQHeaderValue } from "../event/rabbitmq-event.js";
import { parseTraceparent } from "../shared/traceparent.js";
import { decodeHeaderValue } from "./decode-headers.js";

/** Where a record's trace context came from. */
export type RabbitMQTraceContextSource = "record" | "client-context";

/** The W3C trace context of a record, parsed. */
export interface RabbitMQTraceContext {
  traceparent: string;
  /** As received (not validated): `createTraceState` of `@opentelemetry/api` validates it. */
  tracestate: string | undefined;
  traceId: string;
  spanId: string;
  sampled: boolean;
  /** `record`: the message's own `traceparent` header; `client-context`: the agent's call. */
  source: RabbitMQTraceContextSource;
}

/** The part of a record this reads: decoded `headers` when parsed, else the raw basic properties. */
export interface RabbitMQTraceCarrier {
  headers?: Readonly<Record<string, unknown>>;
  basicProperties?: { headers?: Readonly<Record<string, RabbitMQHeaderValue>> | null } | null;
}

/** The part of the Lambda context this reads (`context.clientContext.custom`, from `X-Amz-Client-Context`). */
export interface RabbitMQTraceLambdaContext {
  clientContext?: { custom?: unknown } | null;
}

/** Longer `tracestate` values are not passed on (the agent forwards at most 512 characters). */
const MAX_TRACESTATE_CHARS = 8192;

function ownString(
  table: Readonly<Record<string, unknown>> | null | undefined,
  name: string,
): string | undefined {
  if (typeof table !== "object" || table === null || !Object.hasOwn(table, name)) return undefined;
  const value = table[name];
  return typeof value === "string" ? value : undefined;
}

function recordHeader(record: RabbitMQTraceCarrier, name: string): string | undefined {
  if (record.headers !== undefined) return ownString(record.headers, name);
  const raw = record.basicProperties?.headers;
  if (typeof raw !== "object" || raw === null || !Object.hasOwn(raw, name)) return undefined;
  const decoded = decodeHeaderValue(raw[name]);
  return typeof decoded === "string" ? decoded : undefined;
}

function contextOf(
  traceparent: string | undefined,
  tracestate: string | undefined,
  source: RabbitMQTraceContextSource,
): RabbitMQTraceContext | undefined {
  const parsed = traceparent === undefined ? undefined : parseTraceparent(traceparent);
  if (parsed === undefined || traceparent === undefined) return undefined;
  const state =
    tracestate !== undefined && tracestate.length <= MAX_TRACESTATE_CHARS ? tracestate : undefined;
  return { traceparent: traceparent.trim(), tracestate: state, ...parsed, source };
}

/**
 * The trace context to continue for a record: the record's own `traceparent` header (what its
 * publisher sent) first, then the context the agent sent with the call
 * (`context.clientContext.custom`, from `X-Amz-Client-Context`). A malformed value is skipped;
 * `undefined` when neither is valid. Start a span from it with `@opentelemetry/api` (which the
 * function brings itself):
 *
 * ```ts
 * import { createTraceState, ROOT_CONTEXT, SpanKind, TraceFlags, trace } from "@opentelemetry/api";
 * import { traceContextOf } from "amqp-lambda-agent/middleware";
 *
 * const tracer = trace.getTracer("orders");
 *
 * async function processRecord(record: RabbitMQRecord, lambdaContext: Context) {
 *   const found = traceContextOf(record, lambdaContext);
 *   const parent = found
 *     ? trace.setSpanContext(ROOT_CONTEXT, {
 *         traceId: found.traceId,
 *         spanId: found.spanId,
 *         traceFlags: found.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
 *         traceState: found.tracestate === undefined ? undefined : createTraceState(found.tracestate),
 *         isRemote: true,
 *       })
 *     : ROOT_CONTEXT;
 *   const span = tracer.startSpan("process order", { kind: SpanKind.CONSUMER }, parent);
 *   try {
 *     // … handle the record …
 *   } finally {
 *     span.end();
 *   }
 * }
 * ```
 */
export function traceContextOf(
  record: RabbitMQTraceCarrier,
  lambdaContext?: RabbitMQTraceLambdaContext | null,
): RabbitMQTraceContext | undefined {
  const own = contextOf(recordHeader(record, "traceparent"), recordHeader(record, "tracestate"), "record");
  if (own !== undefined) return own;
  const custom = lambdaContext?.clientContext?.custom;
  if (typeof custom !== "object" || custom === null) return undefined;
  const table = custom as Readonly<Record<string, unknown>>;
  return contextOf(ownString(table, "traceparent"), ownString(table, "tracestate"), "client-context");
}
