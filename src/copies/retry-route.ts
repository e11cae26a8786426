import type { ConsumeMessage, Options } from "amqplib";
import type { Origin } from "../backends/backend.js";
import type { CopyTraceHeaders } from "../tracing/index.js";
import { AGENT_HEADERS, ownHeader } from "./agent-headers.js";
import { copyOptions } from "./dead-letter.js";

/** Where a message stands in the broker-side retry schedule (`retry_delays`) and the set-aside route. */
export interface RetryState {
  /** Round trips through retry queues so far (0 for a fresh message). */
  round: number;
  /** Invocation attempts of the earlier rounds. */
  attemptsBefore: number;
  /** Attempts already charged in this round (a set-aside copy carries them). */
  roundAttempts: number;
  /** Times it was set aside behind the queue's tail after a failed probe. */
  setAside: number;
  /** Put back by `redrive`. */
  redriven: boolean;
  /** Where it was first published, when it came back from a retry queue. */
  origin: Origin | undefined;
}

const MAX_NAME_BYTES = 255;

/**
 * Reads the retry headers of a delivery. They are publisher-controllable, so they are bounded: the
 * round is clamped to `[0, rounds]` (a forged count can only shorten the schedule), counts must be
 * whole numbers, and the original exchange and routing key must be short strings (AMQP names).
 */
export function retryState(
  message: ConsumeMessage,
  rounds: number,
  maxRetries = Number.POSITIVE_INFINITY,
): RetryState {
  const headers = message.properties.headers;
  const round = Math.min(rounds, wholeNumber(ownHeader(headers, AGENT_HEADERS.retryCount)));
  const setAside = Math.min(1_000_000, wholeNumber(ownHeader(headers, AGENT_HEADERS.setAside)));
  const redriven = ownHeader(headers, AGENT_HEADERS.redriven) === true;
  if (round === 0 && setAside === 0) {
    return { round: 0, attemptsBefore: 0, roundAttempts: 0, setAside: 0, redriven, origin: undefined };
  }
  const exchange = ownHeader(headers, AGENT_HEADERS.exchange);
  const routingKey = ownHeader(headers, AGENT_HEADERS.routingKey);
  const origin = isName(exchange) && isName(routingKey) ? { exchange, routingKey } : undefined;
  const attempts = Math.min(1_000_000, wholeNumber(ownHeader(headers, AGENT_HEADERS.attempts)));
  // Clamped like the round: a forged count can only shorten what is left of the schedule.
  const roundAttempts =
    setAside > 0
      ? Math.min(maxRetries, attempts, wholeNumber(ownHeader(headers, AGENT_HEADERS.roundAttempts)))
      : 0;
  return { round, attemptsBefore: attempts - roundAttempts, roundAttempts, setAside, redriven, origin };
}

/** The copy that goes to a retry queue: one more round, where it came from, attempts so far. */
export function retryOptions(
  message: ConsumeMessage,
  context: {
    round: number;
    origin: Origin;
    attempts: number;
    backendsDone?: ReadonlySet<number>;
    trace?: CopyTraceHeaders | undefined;
  },
): Options.Publish {
  const options = copyOptions(
    message,
    {
      [AGENT_HEADERS.retryCount]: context.round,
      [AGENT_HEADERS.exchange]: context.origin.exchange,
      [AGENT_HEADERS.routingKey]: context.origin.routingKey,
      [AGENT_HEADERS.attempts]: context.attempts,
      ...doneHeader(context.backendsDone),
    },
    context.trace,
  );
  // A new round starts with no attempts charged.
  delete options.headers?.[AGENT_HEADERS.setAside];
  delete options.headers?.[AGENT_HEADERS.roundAttempts];
  return options;
}

/**
 * The copy set aside behind the queue's tail after a failed probe: where it came from, its retry
 * round as it was, its attempts in all and in this round, and one more time set aside.
 */
export function setAsideOptions(
  message: ConsumeMessage,
  context: {
    retry: RetryState;
    origin: Origin;
    roundAttempts: number;
    backendsDone?: ReadonlySet<number>;
    trace?: CopyTraceHeaders | undefined;
  },
): Options.Publish {
  const { retry, origin, roundAttempts } = context;
  const added: Record<string, unknown> = {
    ...doneHeader(context.backendsDone),
    [AGENT_HEADERS.setAside]: retry.setAside + 1,
    [AGENT_HEADERS.exchange]: origin.exchange,
    [AGENT_HEADERS.routingKey]: origin.routingKey,
    [AGENT_HEADERS.attempts]: retry.attemptsBefore + roundAttempts,
    [AGENT_HEADERS.roundAttempts]: roundAttempts,
  };
  if (retry.round > 0) added[AGENT_HEADERS.retryCount] = retry.round;
  return copyOptions(message, added, context.trace);
}

function wholeNumber(value: unknown): number {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : 0;
}

function isName(value: unknown): value is string {
  return typeof value === "string" && Buffer.byteLength(value) <= MAX_NAME_BYTES;
}

function doneHeader(done: ReadonlySet<number> | undefined): Record<string, unknown> {
  return done && done.size > 0 ? { [AGENT_HEADERS.backendsDone]: [...done].sort((a, b) => a - b) } : {};
}

/**
 * The backends (by index, below `count`) a copy back from the agent's own retry or set-aside queue
 * already succeeded on. Trusted only when its `x-death` names one of those queues: a publisher can
 * forge headers, and may shorten a schedule, never skip work.
 */
export function backendsDoneOf(message: ConsumeMessage, queue: string, count: number): Set<number> {
  const headers = message.properties.headers;
  const done = ownHeader(headers, AGENT_HEADERS.backendsDone);
  const deaths = ownHeader(headers, "x-death");
  const own = `${queue}.retry.`;
  const fromOwnQueue =
    Array.isArray(deaths) &&
    deaths.some((death) => {
      const name = isPlainRecord(death) ? death.queue : undefined;
      return typeof name === "string" && name.startsWith(own);
    });
  if (!fromOwnQueue || !Array.isArray(done)) return new Set();
  return new Set(done.filter((i): i is number => Number.isInteger(i) && i >= 0 && i < count));
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
