import type { ConsumeMessage } from "amqplib";
import type { ConsumerSession } from "../amqp/consumer-session.js";
import type { AgentConfig } from "../config/types.js";
import { toError } from "../errors.js";
import type { MessageFilter } from "../filter/index.js";
import type { Logger } from "../observability/logger.js";
import { type Held, holdDelivery } from "./delivery.js";
import { filterInput } from "./filter-input.js";
import { MessageBody } from "./message-body.js";
import { orderLane } from "./order-key.js";
import { retryState } from "./retry-route.js";

/**
 * Turns a delivery into a held message: where it was first published (a trip through a retry
 * queue undone), whether a filter pattern keeps it, and its ordering lane. The body is parsed as
 * JSON at most once, and only when a filter or the order key reads it. Never throws.
 */
export class Intake {
  constructor(
    private readonly config: AgentConfig,
    private readonly filter: MessageFilter | undefined,
    private readonly log: Logger,
  ) {}

  admit(message: ConsumeMessage, session: ConsumerSession): { held: Held; filtered: boolean } {
    const { amqp, consumer, lambda } = this.config;
    const retry = retryState(message, amqp.retrySteps.length);
    const origin = retry.origin ?? {
      exchange: message.fields.exchange,
      routingKey: message.fields.routingKey,
    };
    const body = new MessageBody(message.content);
    let lane: string | undefined;
    let filtered = false;
    try {
      if (this.filter)
        filtered = !this.filter.matches(filterInput(message, origin, body, this.filter.readsData));
      if (consumer.orderKey) lane = orderLane(consumer.orderKey, message, origin, body);
    } catch (thrown) {
      // Not expected (both are total); the message is still invoked.
      this.log.error({ err: toError(thrown) }, "reading a message for filters or ordering failed");
    }
    const held = holdDelivery(
      { message, session, receivedAt: performance.now() },
      retry,
      lane,
      lambda.batchSize,
    );
    return { held, filtered };
  }
}
