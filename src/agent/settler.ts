import type { ConsumerSession } from "../amqp/consumer-session.js";
import { DEAD_LETTER_ROUTING_KEY } from "../amqp/topology.js";
import type { AgentConfig } from "../config/types.js";
import { toError } from "../errors.js";
import type { LogThrottle } from "../observability/log-throttle.js";
import type { Logger } from "../observability/logger.js";
import type { AgentMetrics } from "../observability/metrics.js";
import { deadLetterOptions } from "./dead-letter.js";
import type { Held } from "./delivery.js";
import type { Failure } from "./failure.js";
import { delay } from "./rate-limiter.js";
import { retryOptions } from "./retry-route.js";
import {
  afterCopy,
  decideSettlement,
  type Finish,
  finishAfterChannelLoss,
  whenCopyFails,
} from "./settlement.js";

/**
 * Carries out `decideSettlement` on the channel that delivered the message. A message whose channel
 * has closed is left alone: its delivery tag is dead and the broker redelivers it (with `auto_ack`,
 * where the broker has forgotten it, copies go out on the live channel instead).
 */
export class Settler {
  constructor(
    private readonly config: AgentConfig,
    private readonly metrics: AgentMetrics,
    private readonly log: Logger,
    private readonly throttle: LogThrottle,
    /** The live session, for copies of auto_ack messages whose own channel has closed. */
    private readonly liveSession: () => ConsumerSession | undefined,
  ) {}

  async settle(held: Held, finish: Finish): Promise<void> {
    const { amqp } = this.config;
    const settlement = decideSettlement(finish, amqp, held.retry.round);
    if (finish.outcome === "succeeded") {
      this.metrics.succeeded.inc();
      this.metrics.lastSuccess.set(Date.now() / 1000);
    } else if (finish.outcome === "filtered") {
      this.metrics.filtered.inc();
    } else if (finish.outcome === "failed") {
      this.metrics.failed.inc();
    }
    const session = held.delivery.session;
    const { message } = held.delivery;
    switch (settlement.action) {
      case "ack":
        return this.count(session.ack(message), this.metrics.acked);
      case "none":
        return;
      case "give_back":
        return this.count(session.giveBack(message), this.metrics.returned);
      case "reject":
        return this.count(session.reject(message), this.metrics.rejected);
      case "requeue":
        await delay(settlement.delayMs);
        return this.count(session.requeue(message), this.metrics.requeued);
      case "lost":
        return this.lost(held, finish.outcome === "failed" ? finish.failure : undefined);
      case "retry_later":
      case "dead_letter": {
        const failure = (finish as { failure: Failure }).failure;
        const attempts = held.retry.attemptsBefore + held.attempts;
        const copy =
          settlement.action === "dead_letter"
            ? {
                routingKey: DEAD_LETTER_ROUTING_KEY,
                options: deadLetterOptions(message, {
                  agent: this.config.name,
                  queue: amqp.queue,
                  functionName: this.config.lambda.functionName,
                  attempts,
                  failure,
                  origin: held.origin,
                }),
                what: `dead-lettered to ${amqp.deadLetterQueue}`,
              }
            : {
                routingKey: settlement.step.routingKey,
                options: retryOptions(message, { round: settlement.round, origin: held.origin, attempts }),
                what: `sent to ${settlement.step.queue} (retry ${settlement.round} of ${amqp.retrySteps.length})`,
              };
        return this.publishCopy(held, failure, attempts, copy, settlement.action);
      }
    }
  }

  /** A result dropped knowingly: its channel closed, the broker redelivers the message. */
  unsettled(count = 1): void {
    this.metrics.unsettled.inc(count);
  }

  private async publishCopy(
    held: Held,
    failure: Failure,
    attempts: number,
    copy: { routingKey: string; options: import("amqplib").Options.Publish; what: string },
    action: "dead_letter" | "retry_later",
  ): Promise<void> {
    const { amqp } = this.config;
    const own = held.delivery.session;
    // An acked (auto_ack) message exists only here: publish it on whichever channel is alive.
    const session = finishAfterChannelLoss(amqp) && !own.alive ? (this.liveSession() ?? own) : own;
    const { message } = held.delivery;
    if (!session.alive) {
      if (whenCopyFails(amqp) === "lost") return this.lost(held, failure);
      return this.unsettled();
    }
    let result: "confirmed" | "unroutable";
    try {
      result = await session.publish(copy.routingKey, message.content, copy.options);
    } catch (thrown) {
      const error = toError(thrown);
      this.throttle.error(
        this.log,
        `copy-failed:${action}`,
        { err: error, action },
        `could not publish a failed message (${action}): ${error.message}; ${whenCopyFails(amqp) === "lost" ? "with auto_ack it is lost" : "it goes back to the queue"}`,
      );
      if (whenCopyFails(amqp) === "lost") return this.lost(held, failure);
      return this.count(own.giveBack(message), this.metrics.returned);
    }
    if (result === "unroutable") {
      this.throttle.error(
        this.log,
        `copy-unroutable:${action}`,
        { action, exchange: amqp.agentExchange, routingKey: copy.routingKey },
        `the agent's exchange "${amqp.agentExchange}" routes "${copy.routingKey}" nowhere (binding missing?): the failed message is not acked and goes back to the queue after ${amqp.requeueDelayMs}ms`,
      );
      if (whenCopyFails(amqp) === "lost") return this.lost(held, failure);
      await delay(amqp.requeueDelayMs);
      return this.count(own.giveBack(message), this.metrics.returned);
    }
    if (action === "dead_letter") this.metrics.deadLettered.inc();
    else this.metrics.delayed.inc();
    this.throttle.warn(
      this.log,
      `${action}:${failure.errorType}`,
      { errorType: failure.errorType, attempts, action },
      `message ${copy.what} after ${attempts} attempt(s): ${failure.errorType}: ${failure.message}`,
    );
    if (afterCopy(amqp) === "ack") this.count(own.ack(message), this.metrics.acked);
  }

  private lost(held: Held, failure: Failure | undefined): void {
    this.metrics.lost.inc();
    this.throttle.error(
      this.log,
      `lost:${failure?.errorType ?? "unfinished"}`,
      { errorType: failure?.errorType, deliveryTag: held.delivery.message.fields.deliveryTag },
      failure
        ? `auto_ack message failed and could not be dead-lettered: it is lost (${failure.errorType}: ${failure.message})`
        : "auto_ack message could not be finished before the agent stopped: it is lost",
    );
  }

  private count(done: boolean, counter: { inc(): void }): void {
    if (done) counter.inc();
    else this.unsettled();
  }
}
