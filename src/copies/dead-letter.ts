import type { ConsumeMessage, Message, Options } from "amqplib";
import type { Origin } from "../backends/backend.js";
import type { Failure } from "../backends/failure-scope.js";
import { type CopyTraceHeaders, withTraceHeaders } from "../tracing/index.js";
import { AGENT_HEADERS, ownHeader } from "./agent-headers.js";
import { republishHeaders } from "./republish-headers.js";

export interface DeadLetterContext {
  agent: string;
  queue: string;
  functionName: string;
  /** Invocation attempts in all, every retry round included. */
  attempts: number;
  failure: Failure;
  /** Where the message was first published (its trip through retry queues undone). */
  origin: Origin;
  now?: Date;
  /** The agent's trace headers for the copy (they replace the message's own). */
  trace?: CopyTraceHeaders | undefined;
}

/**
 * Publish options of a copy the agent makes of a message (dead letter, retry): its properties and
 * headers made safe to publish (see `republishHeaders`), persistent (`deliveryMode` 2; the original
 * in a header), `expiration` (the copy must not expire) and `userId` (the broker refuses another
 * user's) moved into headers. `trace` (the agent's `traceparent`/`tracestate`) replaces the message's
 * own, outside the budget of the original headers: it is never the one left out.
 */
export function copyOptions(
  message: ConsumeMessage,
  added: Record<string, unknown>,
  trace?: CopyTraceHeaders,
): Options.Publish {
  const { expiration, userId, headers, deliveryMode, ...rest } = message.properties;
  const own: Record<string, unknown> = {};
  if (expiration !== undefined) own[AGENT_HEADERS.expiration] = String(expiration);
  if (userId !== undefined) own[AGENT_HEADERS.userId] = String(userId);
  // A copy of a copy (a retry round trip) keeps the first original delivery mode.
  if (typeof deliveryMode === "number" && !(headers && Object.hasOwn(headers, AGENT_HEADERS.deliveryMode)))
    own[AGENT_HEADERS.deliveryMode] = deliveryMode;
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) options[key] = value;
  return {
    ...options,
    deliveryMode: 2,
    headers: {
      ...republishHeaders(trace ? withTraceHeaders(headers ?? {}, {}) : headers),
      ...own,
      ...added,
      ...trace,
    },
  } as Options.Publish;
}

/** The dead-letter copy: the original message with the error in headers. */
export function deadLetterOptions(message: ConsumeMessage, context: DeadLetterContext): Options.Publish {
  const h = AGENT_HEADERS;
  return copyOptions(
    message,
    {
      [h.errorType]: context.failure.errorType.slice(0, 255),
      [h.errorMessage]: context.failure.message.slice(0, 1000),
      [h.attempts]: context.attempts,
      [h.functionName]: context.functionName,
      [h.failedAt]: (context.now ?? new Date()).toISOString(),
      [h.agent]: context.agent,
      [h.exchange]: context.origin.exchange,
      [h.routingKey]: context.origin.routingKey,
      [h.queue]: context.queue,
    },
    context.trace,
  );
}

/** The agent's headers on a dead letter, removed again by `redrive`. */
const REDRIVE_REMOVES = new Set<string>([
  AGENT_HEADERS.errorType,
  AGENT_HEADERS.errorMessage,
  AGENT_HEADERS.attempts,
  AGENT_HEADERS.functionName,
  AGENT_HEADERS.failedAt,
  AGENT_HEADERS.agent,
  AGENT_HEADERS.exchange,
  AGENT_HEADERS.routingKey,
  AGENT_HEADERS.queue,
  AGENT_HEADERS.expiration,
  AGENT_HEADERS.userId,
  AGENT_HEADERS.deliveryMode,
  // A redriven message gets the whole retry schedule again.
  AGENT_HEADERS.retryCount,
  AGENT_HEADERS.setAside,
  AGENT_HEADERS.roundAttempts,
  // Every backend is called again.
  AGENT_HEADERS.backendsDone,
]);

/**
 * Where and how to put a dead letter back: its original exchange and routing key, its original
 * delivery mode, without the agent's headers (and so with a fresh retry schedule). `CC`/`BCC` never
 * route it: they stay in `x-agent-original-cc`/`-bcc` for the record.
 */
export function redriveOptions(
  message: Message,
): { exchange: string; routingKey: string; options: Options.Publish } | undefined {
  const headers = message.properties.headers ?? {};
  const exchange = ownHeader(headers, AGENT_HEADERS.exchange);
  const routingKey = ownHeader(headers, AGENT_HEADERS.routingKey);
  if (typeof exchange !== "string" || typeof routingKey !== "string") return undefined;
  const kept = republishHeaders(headers);
  for (const name of REDRIVE_REMOVES) delete kept[name];
  const deliveryMode = ownHeader(headers, AGENT_HEADERS.deliveryMode);
  const { headers: _old, expiration: _e, userId: _u, deliveryMode: _d, ...rest } = message.properties;
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) options[key] = value;
  if (deliveryMode === 1 || deliveryMode === 2) options.deliveryMode = deliveryMode;
  // Its next failures are not fresh evidence of an outage (the circuit breaker ignores them).
  kept[AGENT_HEADERS.redriven] = true;
  return { exchange, routingKey, options: { ...options, headers: kept } as Options.Publish };
}
