import type { ConsumeMessage, Options } from "amqplib";
import type { Origin } from "../backends/backend.js";
import { AGENT_HEADERS, ownHeader } from "./agent-headers.js";
import { copyOptions } from "./dead-letter.js";

/** Where a message stands in the broker-side retry schedule (`retry_delays`). */
export interface RetryState {
  /** Round trips through retry queues so far (0 for a fresh message). */
  round: number;
  /** Invocation attempts of the earlier rounds. */
  attemptsBefore: number;
  /** Where it was first published, when it came back from a retry queue. */
  origin: Origin | undefined;
}

const MAX_NAME_BYTES = 255;

/**
 * Reads the retry headers of a delivery. They are publisher-controllable, so they are bounded: the
 * round is clamped to `[0, rounds]` (a forged count can only shorten the schedule), counts must be
 * whole numbers, and the original exchange and routing key must be short strings (AMQP names).
 */
export function retryState(message: ConsumeMessage, rounds: number): RetryState {
  const headers = message.properties.headers;
  const round = Math.min(rounds, wholeNumber(ownHeader(headers, AGENT_HEADERS.retryCount)));
  if (round === 0) return { round: 0, attemptsBefore: 0, origin: undefined };
  const exchange = ownHeader(headers, AGENT_HEADERS.exchange);
  const routingKey = ownHeader(headers, AGENT_HEADERS.routingKey);
  const origin = isName(exchange) && isName(routingKey) ? { exchange, routingKey } : undefined;
  return {
    round,
    attemptsBefore: Math.min(1_000_000, wholeNumber(ownHeader(headers, AGENT_HEADERS.attempts))),
    origin,
  };
}

/** The copy that goes to a retry queue: one more round, where it came from, attempts so far. */
export function retryOptions(
  message: ConsumeMessage,
  context: { round: number; origin: Origin; attempts: number },
): Options.Publish {
  return copyOptions(message, {
    [AGENT_HEADERS.retryCount]: context.round,
    [AGENT_HEADERS.exchange]: context.origin.exchange,
    [AGENT_HEADERS.routingKey]: context.origin.routingKey,
    [AGENT_HEADERS.attempts]: context.attempts,
  });
}

function wholeNumber(value: unknown): number {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : 0;
}

function isName(value: unknown): value is string {
  return typeof value === "string" && Buffer.byteLength(value) <= MAX_NAME_BYTES;
}
