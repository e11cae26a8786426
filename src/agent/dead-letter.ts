import type { ConsumeMessage, Message, Options } from "amqplib";
import type { InvokeFailure } from "../lambda/invoke-outcome.js";

/** Headers the agent adds to a dead-lettered message; `redrive` reads the `original` ones. */
export const DEAD_LETTER_HEADERS = {
  errorType: "x-agent-error-type",
  errorMessage: "x-agent-error-message",
  attempts: "x-agent-attempts",
  functionName: "x-agent-function",
  failedAt: "x-agent-failed-at",
  agent: "x-agent-name",
  exchange: "x-agent-original-exchange",
  routingKey: "x-agent-original-routing-key",
  queue: "x-agent-original-queue",
  expiration: "x-agent-original-expiration",
  userId: "x-agent-original-user-id",
} as const;

export interface DeadLetterContext {
  agent: string;
  queue: string;
  functionName: string;
  attempts: number;
  failure: InvokeFailure;
  now?: Date;
}

/**
 * Publish options for the dead-letter copy: the original properties, with the error in headers.
 * `expiration` (the copy must not expire in the DLQ) and `userId` (the broker refuses a user id
 * other than the connection's) move into headers, so nothing is lost.
 */
export function deadLetterOptions(message: ConsumeMessage, context: DeadLetterContext): Options.Publish {
  const { expiration, userId, headers, ...rest } = message.properties;
  const h = DEAD_LETTER_HEADERS;
  const added: Record<string, unknown> = {
    [h.errorType]: context.failure.errorType,
    [h.errorMessage]: context.failure.message.slice(0, 1000),
    [h.attempts]: context.attempts,
    [h.functionName]: context.functionName,
    [h.failedAt]: (context.now ?? new Date()).toISOString(),
    [h.agent]: context.agent,
    [h.exchange]: message.fields.exchange,
    [h.routingKey]: message.fields.routingKey,
    [h.queue]: context.queue,
  };
  if (expiration !== undefined) added[h.expiration] = String(expiration);
  if (userId !== undefined) added[h.userId] = String(userId);
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) options[key] = value;
  return { ...options, headers: { ...(headers ?? {}), ...added } } as Options.Publish;
}

/** Publish options to put a dead letter back: the original properties without the agent's headers. */
export function redriveOptions(
  message: Message,
): { exchange: string; routingKey: string; options: Options.Publish } | undefined {
  const headers = { ...(message.properties.headers ?? {}) } as Record<string, unknown>;
  const exchange = headers[DEAD_LETTER_HEADERS.exchange];
  const routingKey = headers[DEAD_LETTER_HEADERS.routingKey];
  if (typeof exchange !== "string" || typeof routingKey !== "string") return undefined;
  for (const name of Object.values(DEAD_LETTER_HEADERS)) delete headers[name];
  const { headers: _old, expiration: _e, userId: _u, ...rest } = message.properties;
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) options[key] = value;
  return { exchange, routingKey, options: { ...options, headers } as Options.Publish };
}
