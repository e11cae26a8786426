/**
 * Trace context from the publisher, through the agent, into the function: the API the pipeline
 * wires in (one {@link Tracing} per agent, one {@link InvocationTrace} per invocation).
 *
 * @module
 */

export { KRAKEND_TELEMETRY_KEY, KRAKEND_TELEMETRY_NOTE } from "../config/krakend-telemetry.js";
export type { DroppedTraceContextPart } from "./client-context.js";
export {
  COPY_TRACE_HEADERS_MAX_BYTES,
  type CopyTraceHeaders,
  traceIdOf,
  withTraceHeaders,
} from "./copy-trace-headers.js";
export { type ExportDecision, exportSettingsFromEnv, type TracingEnv } from "./export-settings.js";
export type {
  CallResult,
  CallTarget,
  CallTrace,
  InvocationTrace,
  SettleTrace,
  TracedMessage,
} from "./invocation-trace.js";
export { extractTraceparent, extractTracestate } from "./message-trace-headers.js";
export { SHUTDOWN_ERROR_TYPE } from "./recorded-invocation.js";
export {
  createTracing,
  SHUTDOWN_TIMEOUT_MS,
  TRACING_OFF,
  type Tracing,
  type TracingDependencies,
  type TracingMode,
  type TracingOptions,
} from "./tracing.js";
