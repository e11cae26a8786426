/**
 * An invocation with spans recorded: one CONSUMER span `process <destination>` with a link per
 * message (a child of the message's context for one message with `parent: "child"`), and one
 * CLIENT span per backend call, whose id is the parent the callee sees.
 *
 * @module
 */
import {
  type Attributes,
  type Context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type { Traceparent } from "../shared/traceparent.js";
import { type CopyTraceHeaders, copyTraceHeaders } from "./copy-trace-headers.js";
import {
  type CallTarget,
  type CallTrace,
  type InvocationTrace,
  type SettleTrace,
  type TracedMessage,
  UNTRACED_SETTLE,
} from "./invocation-trace.js";
import { extractTraceparent, extractTracestate } from "./message-trace-headers.js";
import type { ParentMode } from "./propagated-invocation.js";
import { endWithError, isSampled, RecordedCall } from "./recorded-call.js";
import {
  MESSAGING_ATTRIBUTES,
  MESSAGING_OPERATION_PROCESS,
  MESSAGING_OPERATION_SETTLE,
  MESSAGING_SYSTEM_RABBITMQ,
} from "./span-attributes.js";

/** The error type given to spans still open when the agent shuts down. */
export const SHUTDOWN_ERROR_TYPE = "agent_shutdown";

const remoteContext = (context: Traceparent): SpanContext => ({
  traceId: context.traceId,
  spanId: context.spanId,
  traceFlags: context.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
  isRemote: true,
});

/** The per-message attributes, written into `attributes`: on the span for one message, on each link for a batch. */
function addMessageAttributes({ message, origin }: TracedMessage, attributes: Attributes): Attributes {
  const { messageId, correlationId } = message.properties;
  attributes[MESSAGING_ATTRIBUTES.routingKey] = origin.routingKey;
  attributes[MESSAGING_ATTRIBUTES.deliveryTag] = message.fields.deliveryTag;
  if (typeof messageId === "string") attributes[MESSAGING_ATTRIBUTES.messageId] = messageId;
  if (typeof correlationId === "string") attributes[MESSAGING_ATTRIBUTES.conversationId] = correlationId;
  return attributes;
}

export interface RecordedInvocationOptions {
  tracer: Tracer;
  messages: readonly TracedMessage[];
  destination: string;
  parent: ParentMode;
  /** Record a span per settlement (opt-in). */
  settleSpans: boolean;
  now: () => number;
  /** Called once when the invocation ends (the facade's list of open invocations). */
  onEnd: (invocation: RecordedInvocation) => void;
}

export class RecordedInvocation implements InvocationTrace {
  readonly #options: RecordedInvocationOptions;
  readonly #contexts: ReadonlyArray<Traceparent | undefined>;
  readonly #span: Span;
  /** The CONSUMER span as a parent context. */
  readonly #context: Context;
  /** The `tracestate` the calls forward: the parent message's, in its own trace only. */
  readonly #tracestate: string | undefined;
  readonly #openCalls = new Set<RecordedCall>();
  readonly #callEnded = (call: RecordedCall): void => {
    this.#openCalls.delete(call);
  };
  #open = true;

  constructor(options: RecordedInvocationOptions) {
    this.#options = options;
    const { messages, destination, tracer } = options;
    this.#contexts = messages.map(({ message }) => extractTraceparent(message.properties.headers));
    const single = messages.length === 1 ? messages[0] : undefined;
    const parent = single && options.parent === "child" ? this.#contexts[0] : undefined;
    const attributes: Attributes = {
      [MESSAGING_ATTRIBUTES.system]: MESSAGING_SYSTEM_RABBITMQ,
      [MESSAGING_ATTRIBUTES.operationType]: MESSAGING_OPERATION_PROCESS,
      [MESSAGING_ATTRIBUTES.destinationName]: destination,
    };
    if (single) addMessageAttributes(single, attributes);
    else attributes[MESSAGING_ATTRIBUTES.batchMessageCount] = messages.length;
    // One message: its attributes are the span's own, its link needs none (they would be exported twice).
    const links: Link[] = [];
    this.#contexts.forEach((context, index) => {
      if (context === undefined) return;
      const link: Link = { context: remoteContext(context) };
      if (!single) link.attributes = addMessageAttributes(messages[index] as TracedMessage, {});
      links.push(link);
    });
    const parentContext = parent ? trace.setSpanContext(ROOT_CONTEXT, remoteContext(parent)) : ROOT_CONTEXT;
    this.#span = tracer.startSpan(
      `process ${destination}`,
      { kind: SpanKind.CONSUMER, attributes, links, root: !parent },
      parentContext,
    );
    this.#context = trace.setSpan(ROOT_CONTEXT, this.#span);
    this.#tracestate = single && parent ? extractTracestate(single.message.properties.headers) : undefined;
  }

  get traceId(): string {
    return this.#span.spanContext().traceId;
  }

  startCall(target: CallTarget): CallTrace {
    const call = new RecordedCall({
      tracer: this.#options.tracer,
      target,
      parent: this.#context,
      tracestate: this.#tracestate,
      nowMs: this.#options.now(),
      onEnd: this.#callEnded,
    });
    this.#openCalls.add(call);
    return call;
  }

  /**
   * The message's own trace: the CONSUMER span as parent when it is in that trace (one message,
   * `parent: "child"`), else the message's context as it arrived; a message without one gets the
   * CONSUMER span's context.
   */
  copyHeaders(index: number): CopyTraceHeaders {
    const own = this.#contexts[index];
    const consumer = this.#span.spanContext();
    if (own && own.traceId !== consumer.traceId) {
      const headers = this.#options.messages[index]?.message.properties.headers;
      return copyTraceHeaders(own.traceId, own.spanId, own.sampled, extractTracestate(headers));
    }
    return copyTraceHeaders(
      consumer.traceId,
      consumer.spanId,
      isSampled(consumer),
      own ? this.#tracestate : undefined,
    );
  }

  /** A CLIENT span `<operation> <destination>`, a child of the CONSUMER span, when settle spans are on. */
  startSettle(index: number, operation: string): SettleTrace {
    const { settleSpans, tracer, destination, messages } = this.#options;
    const message = messages[index];
    if (!settleSpans || message === undefined) return UNTRACED_SETTLE;
    const attributes: Attributes = {
      [MESSAGING_ATTRIBUTES.system]: MESSAGING_SYSTEM_RABBITMQ,
      [MESSAGING_ATTRIBUTES.operationType]: MESSAGING_OPERATION_SETTLE,
      [MESSAGING_ATTRIBUTES.operationName]: operation,
      [MESSAGING_ATTRIBUTES.destinationName]: destination,
    };
    addMessageAttributes(message, attributes);
    const span = tracer.startSpan(
      `${operation} ${destination}`,
      { kind: SpanKind.CLIENT, attributes },
      this.#context,
    );
    let open = true;
    return {
      end: (errorType) => {
        if (open) endWithError(span, errorType);
        open = false;
      },
    };
  }

  end(errorType?: string): void {
    if (!this.#open) return;
    this.#open = false;
    this.#options.onEnd(this);
    endWithError(this.#span, errorType);
  }

  /** Ends the calls still open and the invocation, as cut short by the agent's shutdown. */
  abandon(): void {
    for (const call of [...this.#openCalls]) call.end({ errorType: SHUTDOWN_ERROR_TYPE });
    this.end(SHUTDOWN_ERROR_TYPE);
  }
}
