import type { ConsumeMessage } from "amqplib";
import type { ConsumerSession } from "../amqp/consumer-session.js";
import type { Origin } from "../lambda/event.js";
import type { RetryState } from "./retry-route.js";

/** A message in the agent's hands, with the session whose channel must settle it. */
export interface Delivery {
  message: ConsumeMessage;
  session: ConsumerSession;
  /** `performance.now()` when it arrived. */
  receivedAt: number;
}

/** A delivery the agent holds until it is settled, with what scheduling needs to know of it. */
export interface Held {
  /** Unique within the process (the breaker tells messages apart by it). */
  readonly id: number;
  readonly delivery: Delivery;
  /** Where the message was published (undoing a trip through a retry queue). */
  readonly origin: Origin;
  readonly retry: RetryState;
  /** Ordering lane (`consumer.order_key`); `undefined` without ordering. */
  readonly lane: string | undefined;
  /** Attempts charged in this round (message-level failures only). */
  attempts: number;
  /** Platform failures seen by it (not charged; they only lengthen its backoff). */
  setbacks: number;
  /** `performance.now()` before which it must not run again (retry backoff). */
  readyAt: number;
  running: boolean;
  /** Largest batch it may join (halved after Lambda refused a batch as too large). */
  maxBatch: number;
  /** When it last served as a circuit-breaker probe (probes rotate over held messages). */
  probedAt: number;
  /** Its JSON in the `rmq` event, built once when it first joins a batch. */
  encoded: Buffer | undefined;
}

let nextId = 0;

export function holdDelivery(
  delivery: Delivery,
  retry: RetryState,
  lane: string | undefined,
  maxBatch: number,
): Held {
  const { fields } = delivery.message;
  return {
    id: ++nextId,
    delivery,
    origin: retry.origin ?? { exchange: fields.exchange, routingKey: fields.routingKey },
    retry,
    lane,
    attempts: 0,
    setbacks: 0,
    readyAt: 0,
    running: false,
    maxBatch,
    probedAt: Number.NEGATIVE_INFINITY,
    encoded: undefined,
  };
}
