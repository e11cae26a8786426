import type { ConsumeMessage } from "amqplib";
import type { ConsumerSession } from "../amqp/consumer-session.js";
import type { AgentConfig } from "../config/types.js";
import { backendsDoneOf, retryState } from "../copies/retry-route.js";
import { toError } from "../errors.js";
import type { MessageFilter } from "../filter/index.js";
import { HeldMessage } from "../held/held-message.js";
import type { Logger } from "../observability/logger.js";
import { extractTraceparent } from "../tracing/index.js";
import { filterInput } from "./filter-input.js";
import { MessageBody } from "./message-body.js";
import { orderLane } from "./order-key.js";

export interface IntakeOptions {
  config: AgentConfig;
  /** One per backend, in order; `undefined`: that backend wants every message. */
  filters: ReadonlyArray<MessageFilter | undefined>;
  /** The largest batch a message may join (the backend's `batch_size`). */
  batchSize: number;
  /** The backend's `max_retries`: a set-aside copy's attempts are clamped to it. */
  maxRetries: number;
  log: Logger;
  now?: () => number;
}

/**
 * Turns a delivery into a held message: where it was first published (a trip through a retry
 * queue undone), whether a filter pattern keeps it, and its ordering lane. The body is parsed as
 * JSON at most once, and only when a filter or the order key reads it. Never throws.
 */
export class Intake {
  constructor(private readonly options: IntakeOptions) {}

  admit(message: ConsumeMessage, session: ConsumerSession): { held: HeldMessage; filtered: boolean } {
    const { config, filters, log } = this.options;
    const { amqp, consumer } = config;
    const retry = retryState(message, amqp.retrySteps.length, this.options.maxRetries);
    const origin = retry.origin ?? {
      exchange: message.fields.exchange,
      routingKey: message.fields.routingKey,
    };
    const body = new MessageBody(message.content);
    let lane: string | undefined;
    let wanted: Set<number> | undefined;
    try {
      if (filters.some((filter) => filter !== undefined)) {
        wanted = new Set();
        for (const [index, filter] of filters.entries()) {
          if (!filter || filter.matches(filterInput(message, origin, body, filter.readsData)))
            wanted.add(index);
        }
      }
      if (consumer.orderKey) lane = orderLane(consumer.orderKey, message, origin, body);
    } catch (thrown) {
      // Not expected (both are total); the message is still invoked, on every backend.
      wanted = undefined;
      const traceId = extractTraceparent(message.properties.headers)?.traceId;
      log.error({ err: toError(thrown), traceId }, "reading a message for filters or ordering failed");
    }
    const receivedAt = this.options.now ? this.options.now() : performance.now();
    const held = new HeldMessage({ message, session, receivedAt }, retry, lane, this.options.batchSize);
    if (filters.length > 1) {
      held.backendsWanted = wanted;
      for (const index of backendsDoneOf(message, amqp.queue, filters.length)) held.backendsDone.add(index);
    }
    return { held, filtered: wanted?.size === 0 };
  }
}
