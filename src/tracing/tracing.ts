/**
 * The tracing facade the pipeline holds: created once at startup, asked for one
 * {@link InvocationTrace} per invocation, shut down last (spans flushed within 5 s).
 *
 * @module
 */
import { toError } from "../shared/to-error.js";
import { exportSettingsFromEnv, type TracingEnv } from "./export-settings.js";
import { type InvocationTrace, type TracedMessage, UNTRACED_INVOCATION } from "./invocation-trace.js";
import { type ParentMode, PropagatedInvocation } from "./propagated-invocation.js";
import { RecordedInvocation } from "./recorded-invocation.js";
import { type SpanExport, startSpanExport } from "./span-export.js";

export interface TracingOptions {
  /** Off: no header is read or written, no span is recorded. */
  enabled: boolean;
  /**
   * `child` (default): for one message, the CONSUMER span is a child of the message's context and
   * calls continue the message's trace. `link`: the CONSUMER span starts its own trace, linked to the
   * message (always so for a batch).
   */
  parent: ParentMode;
  /** A span per settlement (ack, copy, requeue…) of an invocation's messages, when spans are exported. */
  settleSpans?: boolean;
}

/** `off`: tracing disabled; `propagate`: context carried on, no spans; `export`: spans recorded and exported. */
export type TracingMode = "off" | "propagate" | "export";

export interface Tracing {
  readonly mode: TracingMode;
  /** What to log once at startup (environment settings that were ignored, and why). */
  readonly notes: readonly string[];
  /** Once per invocation, before its first backend call; `destination` is the queue's name. */
  startInvocation(messages: readonly TracedMessage[], destination: string): InvocationTrace;
  /**
   * At shutdown, after the pipeline drained: ends spans still open (as `agent_shutdown`) and
   * exports what is left; settles within `timeoutMs` (5 s by default) even if the collector does not answer.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

export interface TracingDependencies {
  /** The clock X-Ray's epoch check and generated trace ids read (default `Date.now`). */
  now?: () => number;
  /** Loads the SDK (tests replace it); called only when the environment asks for export. */
  startSpanExport?: typeof startSpanExport;
}

export const SHUTDOWN_TIMEOUT_MS = 5000;

/** Tracing turned off: what an agent without a `Tracing` of its own uses. */
export const TRACING_OFF: Tracing = Object.freeze({
  mode: "off" as const,
  notes: Object.freeze([]),
  startInvocation: () => UNTRACED_INVOCATION,
  shutdown: async () => {},
});

function propagating(options: TracingOptions, now: () => number, notes: string[]): Tracing {
  return {
    mode: "propagate",
    notes,
    startInvocation: (messages) =>
      messages.length === 0 ? UNTRACED_INVOCATION : new PropagatedInvocation(messages, options.parent, now),
    shutdown: async () => {},
  };
}

function exporting(options: TracingOptions, spans: SpanExport, now: () => number, notes: string[]): Tracing {
  const open = new Set<RecordedInvocation>();
  const onEnd = (invocation: RecordedInvocation) => open.delete(invocation);
  return {
    mode: "export",
    notes,
    startInvocation(messages, destination) {
      if (messages.length === 0) return UNTRACED_INVOCATION;
      const { tracer } = spans;
      const invocation = new RecordedInvocation({
        tracer,
        messages,
        destination,
        parent: options.parent,
        settleSpans: options.settleSpans ?? false,
        now,
        onEnd,
      });
      open.add(invocation);
      return invocation;
    },
    async shutdown(timeoutMs = SHUTDOWN_TIMEOUT_MS) {
      for (const invocation of [...open]) invocation.abandon();
      await spans.shutdown(timeoutMs);
    },
  };
}

/**
 * The tracing of an agent. `env` is the process environment (read for the standard `OTEL_*`
 * variables only); the SDK is loaded here, and only when they ask for export. Never throws: an
 * export that cannot start leaves propagation on, with a note saying why.
 */
export async function createTracing(
  options: TracingOptions,
  env: TracingEnv,
  dependencies: TracingDependencies = {},
): Promise<Tracing> {
  const decision = exportSettingsFromEnv(env);
  if (!options.enabled) {
    return decision.settings === undefined
      ? TRACING_OFF
      : {
          ...TRACING_OFF,
          notes: ["tracing is disabled: the OTLP export settings in the environment are ignored"],
        };
  }
  const now = dependencies.now ?? Date.now;
  const { settings, notes } = decision;
  if (settings === undefined) return propagating(options, now, notes);
  try {
    const spans = await (dependencies.startSpanExport ?? startSpanExport)(settings);
    notes.push(`spans are exported over OTLP ${settings.protocol} as service "${settings.serviceName}"`);
    return exporting(options, spans, now, notes);
  } catch (error) {
    notes.push(`span export could not start (${toError(error).message}); trace context is still propagated`);
    return propagating(options, now, notes);
  }
}
