/**
 * An invocation with tracing on and export off: no span is recorded, the trace context is only
 * carried on, with a fresh random span id as the parent of every call.
 *
 * @module
 */
import type { Traceparent } from "../shared/traceparent.js";
import { callHeaders } from "./call-headers.js";
import { type CopyTraceHeaders, copyTraceHeaders } from "./copy-trace-headers.js";
import {
  type CallTarget,
  type CallTrace,
  type InvocationTrace,
  type SettleTrace,
  type TracedMessage,
  UNTRACED_CALL,
  UNTRACED_SETTLE,
} from "./invocation-trace.js";
import { extractTraceparent, extractTracestate } from "./message-trace-headers.js";
import { randomSpanId, xrayCompatibleTraceId } from "./trace-ids.js";

export type ParentMode = "child" | "link";

/** The trace a call continues, before a span id is chosen. `null`: there is none. */
interface CallTrail {
  traceId: string;
  sampled: boolean;
  tracestate: string | undefined;
}

export class PropagatedInvocation implements InvocationTrace {
  readonly #messages: readonly TracedMessage[];
  readonly #parent: ParentMode;
  readonly #now: () => number;
  #trail: CallTrail | null | undefined;

  constructor(messages: readonly TracedMessage[], parent: ParentMode, now: () => number) {
    this.#messages = messages;
    this.#parent = parent;
    this.#now = now;
  }

  /**
   * One message with `parent: "child"`: its own trace. Otherwise the trace a CONSUMER span would have
   * started (a new id), sampled when any message was; none when no message has a context.
   */
  #callTrail(): CallTrail | null {
    if (this.#trail !== undefined) return this.#trail;
    const messages = this.#messages;
    if (messages.length === 1 && this.#parent === "child") {
      const headers = messages[0]?.message.properties.headers;
      const own = extractTraceparent(headers);
      this.#trail = own
        ? { traceId: own.traceId, sampled: own.sampled, tracestate: extractTracestate(headers) }
        : null;
      return this.#trail;
    }
    let found: Traceparent | undefined;
    for (const { message } of messages) {
      const context = extractTraceparent(message.properties.headers);
      if (context !== undefined && (found === undefined || context.sampled)) found = context;
      if (found?.sampled) break;
    }
    this.#trail = found
      ? { traceId: xrayCompatibleTraceId(this.#now()), sampled: found.sampled, tracestate: undefined }
      : null;
    return this.#trail;
  }

  get traceId(): string | undefined {
    return this.#callTrail()?.traceId;
  }

  startCall(target: CallTarget): CallTrace {
    const trail = this.#callTrail();
    if (trail === null) return UNTRACED_CALL;
    const outgoing = {
      traceId: trail.traceId,
      spanId: randomSpanId(),
      sampled: trail.sampled,
      tracestate: trail.tracestate,
    };
    const { headers, dropped } = callHeaders(target.kind, outgoing, this.#now());
    return { headers, dropped, traceId: trail.traceId, end: UNTRACED_CALL.end };
  }

  /** The message's own context, as it arrived (no span of the agent's was recorded to point to). */
  copyHeaders(index: number): CopyTraceHeaders | undefined {
    const headers = this.#messages[index]?.message.properties.headers;
    const own = extractTraceparent(headers);
    return own && copyTraceHeaders(own.traceId, own.spanId, own.sampled, extractTracestate(headers));
  }

  startSettle(): SettleTrace {
    return UNTRACED_SETTLE;
  }

  end(): void {}
}
