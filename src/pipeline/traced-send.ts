/**
 * An invocation's trace as the backends see it (`SendExtras.trace`): each call a backend makes (each
 * backend of several, each HTTP request) starts a call of the invocation, with its own target, so it
 * gets a CLIENT span of its own and the headers of its kind. What Lambda's limit left out is counted.
 *
 * @module
 */
import type { CallReport, CallTarget, SendTrace, TracedCall } from "../backends/backend.js";
import type { CallResult, CallTrace, InvocationTrace } from "../tracing/index.js";

export type DroppedPartCounter = (part: NonNullable<CallTrace["dropped"]>) => void;

/** The call's failure kind (a low-cardinality `error.type`); `undefined` when it succeeded. */
export const errorTypeOf = (call: CallReport): string | undefined =>
  call.outcome === "ok" ? undefined : call.outcome;

function callResult(report: CallReport | undefined): CallResult | undefined {
  return (
    report && {
      errorType: errorTypeOf(report),
      requestId: report.requestId,
      statusCode: report.httpStatus ?? report.failure?.httpStatus,
    }
  );
}

export class TracedSend implements SendTrace {
  readonly #invocation: InvocationTrace;
  readonly #countDropped: DroppedPartCounter;
  readonly #open = new Set<CallTrace>();
  #traceId: string | undefined;

  constructor(invocation: InvocationTrace, countDropped: DroppedPartCounter) {
    this.#invocation = invocation;
    this.#countDropped = countDropped;
  }

  /** The trace the calls were made in (for log lines); `undefined` before the first call or without one. */
  get traceId(): string | undefined {
    return this.#traceId;
  }

  startCall(target: CallTarget): TracedCall {
    const call = this.#invocation.startCall(target);
    if (call.dropped) this.#countDropped(call.dropped);
    this.#traceId ??= call.traceId;
    this.#open.add(call);
    return {
      headers: call.headers,
      end: (report) => {
        this.#open.delete(call);
        call.end(callResult(report));
      },
    };
  }

  /** Ends the calls a backend left open (it threw, or never ended one), as failed with `errorType` when given. */
  endOpenCalls(errorType?: string): void {
    for (const call of this.#open) call.end(errorType === undefined ? undefined : { errorType });
    this.#open.clear();
  }
}
