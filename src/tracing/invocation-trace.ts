/**
 * What the pipeline holds for one invocation: the object it asks for the headers of each backend
 * call and of each copy, and ends when the invocation is over. Three implementations: none (tracing
 * off), propagation only (export off), recorded spans (export on).
 *
 * @module
 */
import type { CallTarget, OutgoingMessage } from "../backends/backend.js";
import type { DroppedTraceContextPart } from "./client-context.js";
import type { CopyTraceHeaders } from "./copy-trace-headers.js";

/** A message of the invocation: the delivery (headers, properties, delivery tag) and where it was first published. */
export type TracedMessage = Pick<OutgoingMessage, "message" | "origin">;

/** The backend a call goes to, as the CLIENT span describes it. */
export type { CallTarget } from "../backends/backend.js";

/** What came back from a call. */
export interface CallResult {
  /** A short, low-cardinality failure type (a `FailureKind`); absent on success. */
  errorType?: string;
  /** The Lambda request id (`x-amzn-RequestId`). */
  requestId?: string;
  /** The HTTP status of the response. */
  statusCode?: number;
}

/** One backend call. */
export interface CallTrace {
  /** The headers of the call target's kind; `undefined` when there is no trace context to send. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** Set when Lambda's client-context limit left a part out: count it in `trace_context_dropped_total{part}`. */
  readonly dropped: DroppedTraceContextPart | undefined;
  /** The trace the call is made in (for log lines); `undefined` when there is none. */
  readonly traceId: string | undefined;
  /** Ends the CLIENT span (when spans are recorded). Idempotent. */
  end(result?: CallResult): void;
}

/** The settlement of one message (ack, a copy, a requeue…): a span when settle spans are recorded. */
export interface SettleTrace {
  /** Ends the span, as failed with `errorType` when given. Idempotent. */
  end(errorType?: string): void;
}

/** One invocation: a batch of messages handled together. */
export interface InvocationTrace {
  /** The trace its calls are made in (for log lines); `undefined` when there is none. */
  readonly traceId: string | undefined;
  /**
   * Starts a backend call (a CLIENT span when recorded) and gives the headers `target` needs. Once per
   * request a backend makes: each backend of several, each HTTP request of a batch, each retry.
   */
  startCall(target: CallTarget): CallTrace;
  /**
   * The trace headers for a copy (dead letter, retry, reply) of `messages[index]`: set them on the
   * copy with `withTraceHeaders`. `undefined`: leave the copy's headers as they are.
   */
  copyHeaders(index: number): CopyTraceHeaders | undefined;
  /** Starts the settlement `operation` (the step: `ack`, `dead_letter`…) of `messages[index]`. */
  startSettle(index: number, operation: string): SettleTrace;
  /** Ends the CONSUMER span, with `errorType` when the invocation failed. Idempotent. */
  end(errorType?: string): void;
}

const noop = (): void => {};

/** A call with nothing to send and nothing to record. */
export const UNTRACED_CALL: CallTrace = Object.freeze({
  headers: undefined,
  dropped: undefined,
  traceId: undefined,
  end: noop,
});

/** A settlement with nothing to record. */
export const UNTRACED_SETTLE: SettleTrace = Object.freeze({ end: noop });

/** The invocation of an agent whose tracing is off: the same object every time, nothing allocated. */
export const UNTRACED_INVOCATION: InvocationTrace = Object.freeze({
  traceId: undefined,
  startCall: () => UNTRACED_CALL,
  copyHeaders: () => undefined,
  startSettle: () => UNTRACED_SETTLE,
  end: noop,
});
