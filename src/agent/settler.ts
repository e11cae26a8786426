import type { ConsumerSession } from "../amqp/consumer-session.js";
import type { AgentConfig } from "../config/types.js";
import { toError } from "../errors.js";
import type { InvokeFailure } from "../lambda/invoke-outcome.js";
import type { LogThrottle } from "../observability/log-throttle.js";
import type { Logger } from "../observability/logger.js";
import type { AgentMetrics } from "../observability/metrics.js";
import { deadLetterOptions } from "./dead-letter.js";
import type { Delivery } from "./delivery.js";
import { delay } from "./rate-limiter.js";
import { decideSettlement } from "./settlement.js";

/**
 * Carries out `decideSettlement` on the channel that delivered the message. A message whose channel
 * has closed is left alone: its delivery tag is dead and the broker redelivers it.
 */
export class Settler {
  constructor(
    private readonly config: AgentConfig,
    private readonly metrics: AgentMetrics,
    private readonly log: Logger,
    private readonly throttle: LogThrottle,
    /** The live session, for dead letters of auto_ack messages whose own channel has closed. */
    private readonly currentSession: () => ConsumerSession | undefined,
  ) {}

  async settle(delivery: Delivery, failure: InvokeFailure | undefined, attempts: number): Promise<void> {
    const settlement = decideSettlement(failure, this.config.amqp);
    if (failure) this.metrics.failed.inc();
    else this.metrics.lastDelivery.set(Date.now() / 1000);
    switch (settlement.action) {
      case "ack":
        if (delivery.session.ack(delivery.message)) this.metrics.acked.inc();
        else this.unsettled();
        return;
      case "none":
        if (failure) {
          this.throttle.error(
            this.log,
            `auto-ack-lost:${failure.errorType}`,
            { errorType: failure.errorType, attempts },
            `message failed with auto_ack and no dead-letter queue: it is gone (${failure.errorType}: ${failure.message})`,
          );
        }
        return;
      case "requeue":
        await delay(settlement.delayMs);
        if (delivery.session.nack(delivery.message, true)) this.metrics.requeued.inc();
        else this.unsettled();
        return;
      case "reject":
        if (delivery.session.nack(delivery.message, false)) this.metrics.rejected.inc();
        else this.unsettled();
        return;
      case "dead_letter":
        await this.deadLetter(delivery, failure as InvokeFailure, attempts);
        return;
    }
  }

  private async deadLetter(delivery: Delivery, failure: InvokeFailure, attempts: number): Promise<void> {
    const { message } = delivery;
    const agent = this.config.name;
    const autoAck = this.config.amqp.autoAck;
    // An acked (auto_ack) message exists only here: publish it on whichever channel is alive.
    const session =
      autoAck && !delivery.session.alive ? (this.currentSession() ?? delivery.session) : delivery.session;
    if (!session.alive) {
      if (autoAck) {
        this.throttle.error(
          this.log,
          "auto-ack-dlq-lost",
          { errorType: failure.errorType },
          `no broker channel to dead-letter a failed auto_ack message: it is gone (${failure.errorType})`,
        );
      }
      return this.unsettled();
    }
    const options = deadLetterOptions(message, {
      agent,
      queue: this.config.amqp.queue,
      functionName: this.config.lambda.functionName,
      attempts,
      failure,
    });
    try {
      await session.publishDeadLetter(message.content, options);
    } catch (thrown) {
      const error = toError(thrown);
      this.throttle.error(
        this.log,
        "dead-letter-failed",
        { err: error },
        `could not dead-letter a message, leaving it to the broker: ${error.message}`,
      );
      if (!autoAck && session.nack(message, true)) this.metrics.requeued.inc();
      return;
    }
    this.metrics.deadLettered.inc();
    this.throttle.warn(
      this.log,
      `dead-lettered:${failure.errorType}`,
      { errorType: failure.errorType, attempts, deadLetterQueue: this.config.amqp.deadLetterQueue },
      `message dead-lettered to ${this.config.amqp.deadLetterQueue} after ${attempts} attempt(s): ${failure.errorType}: ${failure.message}`,
    );
    if (autoAck) return;
    if (session.ack(message)) this.metrics.acked.inc();
    else this.unsettled();
  }

  /** A result dropped knowingly: its channel closed, the broker redelivers the message. */
  abandon(): void {
    this.unsettled();
  }

  private unsettled(): void {
    this.metrics.dropped.inc();
  }
}
