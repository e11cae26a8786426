import type { Options } from "amqplib";
import { DEAD_LETTER_ROUTING_KEY } from "../amqp/topology.js";
import type { Failure } from "../backends/backend.js";
import type { AgentConfig } from "../config/types.js";
import { deadLetterOptions } from "../copies/dead-letter.js";
import { retryOptions, setAsideOptions } from "../copies/retry-route.js";
import { toError } from "../errors.js";
import type { HeldMessage } from "../held/held-message.js";
import type { LogThrottle } from "../observability/log-throttle.js";
import type { Logger } from "../observability/logger.js";
import type { AgentMetrics } from "../observability/metrics.js";
import type { Decision, Happening, Step } from "../policy/decide.js";
import { delay } from "../shared/delay.js";
import { type CopyTraceHeaders, traceIdOf } from "../tracing/index.js";
import type { ReplySender } from "./reply-sender.js";

export interface SettlerOptions {
  config: AgentConfig;
  /** The backend's label, named in dead letters. */
  backendLabel: string;
  metrics: AgentMetrics;
  log: Logger;
  throttle: LogThrottle;
  /** Publishes copies (dead letter, retry, set-aside). */
  publish: CopyPublisher;
  /** The decision again, for what happened while settling (a copy that could not be published). */
  decide(held: HeldMessage, happening: Happening): Decision;
  /** Publishes replies (`reply` configured). */
  replies?: ReplySender | undefined;
}

/** Publishes a copy through the agent's publishing connection (confirmed, `mandatory`). */
export type CopyPublisher = (
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
) => Promise<"confirmed" | "unroutable">;

type CopyStep = Extract<Step, { do: "dead_letter" | "retry_queue" | "set_aside" }>;

/** The steps that settle a message with the broker: a settle span each, when they are recorded. */
const SETTLE_STEPS = new Set<Step["do"]>([
  "ack",
  "reply",
  "reject",
  "requeue",
  "give_back",
  "dead_letter",
  "retry_queue",
  "set_aside",
]);

/** Stands in for the failure of a copy decided without one (not expected). */
const UNKNOWN_FAILURE: Failure = {
  kind: "bad_message",
  errorType: "Unknown",
  message: "no failure was recorded",
  durationMs: 0,
};

/**
 * Carries out a decision that ends a message's time in the agent: the channel calls (on the channel
 * that delivered it), the dead-letter and retry copies and the replies (published with confirms, then
 * the ack), the waits before a requeue or a give-back, and the counters. The only place a message is settled.
 */
export class Settler {
  constructor(private readonly options: SettlerOptions) {}

  async settle(held: HeldMessage, decision: Decision, failure?: Failure): Promise<void> {
    const { metrics } = this.options;
    if (decision.ended) metrics[decision.ended].inc();
    if (decision.ended === "succeeded") metrics.lastSuccess.set(Date.now() / 1000);
    const settling = SETTLE_STEPS.has(decision.step.do)
      ? held.trace?.startSettle(held.traceIndex, decision.step.do)
      : undefined;
    try {
      await this.carryOut(held, decision.step, failure);
    } finally {
      settling?.end();
    }
  }

  private async carryOut(held: HeldMessage, step: Step, failure: Failure | undefined): Promise<void> {
    const { metrics } = this.options;
    const { session, message } = held;
    switch (step.do) {
      case "ack":
        return this.count(session.ack(message), metrics.acked);
      case "reply": {
        // Kept until its reply is confirmed; then the step that settles it.
        const next = await this.options.replies?.send(held, step.delayMs);
        return this.carryOut(held, next ?? { do: "leave_to_broker" }, failure);
      }
      case "nothing":
      case "keep":
      case "retry":
        return;
      case "give_back":
        if (step.delayMs > 0) await delay(step.delayMs);
        return this.count(session.giveBack(message), metrics.returned);
      case "reject":
        return this.count(session.reject(message), metrics.rejected);
      case "requeue":
        await delay(step.delayMs);
        return this.count(session.requeue(message), metrics.requeued);
      case "lost":
        return this.lost(held, failure);
      case "leave_to_broker":
        metrics.unsettled.inc();
        return;
      case "dead_letter":
      case "retry_queue":
      case "set_aside":
        return this.publishCopy(held, step, failure);
    }
  }

  private async publishCopy(held: HeldMessage, step: CopyStep, failure: Failure | undefined): Promise<void> {
    const { config, metrics, log, throttle } = this.options;
    const { amqp } = config;
    const own = held.session;
    const { message } = held;
    const why = failure ?? UNKNOWN_FAILURE;
    const attempts = held.retry.attemptsBefore + held.attempts;
    // Its delivery tag is dead: the broker redelivers it (an auto_ack message exists only here).
    if (!amqp.autoAck && !own.alive) return this.fallBack(held, "channel_closed", failure);
    const trace = held.trace?.copyHeaders(held.traceIndex);
    const traceId = traceIdOf(trace);
    const copy = this.copyOf(held, step, why, attempts, trace);
    let result: "confirmed" | "unroutable";
    try {
      result = await this.options.publish(amqp.agentExchange, copy.routingKey, message.content, copy.options);
    } catch (thrown) {
      const error = toError(thrown);
      throttle.error(
        log,
        `copy-failed:${step.do}`,
        { err: error, action: step.do, traceId },
        `could not publish a failed message (${step.do}): ${error.message}; ${amqp.autoAck ? "with auto_ack it is lost" : "it goes back to the queue"}`,
      );
      return this.fallBack(held, "error", failure);
    }
    if (result === "unroutable") {
      throttle.error(
        log,
        `copy-unroutable:${step.do}`,
        { action: step.do, exchange: amqp.agentExchange, routingKey: copy.routingKey, traceId },
        `the agent's exchange "${amqp.agentExchange}" routes "${copy.routingKey}" nowhere (binding missing?): the failed message is not acked and goes back to the queue after ${amqp.requeueDelayMs}ms`,
      );
      return this.fallBack(held, "unroutable", failure);
    }
    if (step.do === "dead_letter") metrics.deadLettered.inc();
    if (step.do === "dead_letter") void this.options.replies?.errorReply(held, why, attempts);
    else if (step.do === "set_aside") metrics.setAside.inc();
    else metrics.delayed.inc();
    throttle.warn(
      log,
      `${step.do}:${why.errorType}`,
      { errorType: why.errorType, attempts, action: step.do, traceId },
      `message ${copy.what} after ${attempts} attempt(s): ${why.errorType}: ${why.message}`,
    );
    if (!amqp.autoAck) this.count(own.ack(message), metrics.acked);
  }

  private copyOf(
    held: HeldMessage,
    step: CopyStep,
    failure: Failure,
    attempts: number,
    trace: CopyTraceHeaders | undefined,
  ): { routingKey: string; options: Options.Publish; what: string } {
    const { config, backendLabel } = this.options;
    const { amqp } = config;
    if (step.do === "dead_letter") {
      return {
        routingKey: DEAD_LETTER_ROUTING_KEY,
        options: deadLetterOptions(held.message, {
          agent: config.name,
          queue: amqp.queue,
          functionName: backendLabel,
          attempts,
          failure,
          origin: held.origin,
          trace,
        }),
        what: `dead-lettered to ${amqp.deadLetterQueue}`,
      };
    }
    if (step.do === "set_aside") {
      const route = amqp.setAside ?? { queue: "(none)", routingKey: "retry.setaside" };
      return {
        routingKey: route.routingKey,
        options: setAsideOptions(held.message, {
          retry: held.retry,
          origin: held.origin,
          roundAttempts: held.attempts,
          backendsDone: held.backendsDone,
          trace,
        }),
        what: `set aside behind the queue's tail (through ${route.queue}) after a failed probe`,
      };
    }
    return {
      routingKey: step.step.routingKey,
      options: retryOptions(held.message, {
        round: step.round,
        origin: held.origin,
        attempts,
        backendsDone: held.backendsDone,
        trace,
      }),
      what: `sent to ${step.step.queue} (retry ${step.round} of ${amqp.retrySteps.length})`,
    };
  }

  private fallBack(
    held: HeldMessage,
    cause: "channel_closed" | "error" | "unroutable",
    failure: Failure | undefined,
  ): Promise<void> {
    const decision = this.options.decide(held, { kind: "copy_failed", cause });
    return this.carryOut(held, decision.step, failure);
  }

  private lost(held: HeldMessage, failure: Failure | undefined): void {
    const { metrics, log, throttle } = this.options;
    metrics.lost.inc();
    throttle.error(
      log,
      `lost:${failure?.errorType ?? "unfinished"}`,
      {
        errorType: failure?.errorType,
        deliveryTag: held.message.fields.deliveryTag,
        traceId: traceIdOf(held.trace?.copyHeaders(held.traceIndex)),
      },
      failure
        ? `auto_ack message failed and could not be dead-lettered: it is lost (${failure.errorType}: ${failure.message})`
        : "auto_ack message could not be finished before the agent stopped: it is lost",
    );
  }

  private count(done: boolean, counter: { inc(): void }): void {
    if (done) counter.inc();
    else this.options.metrics.unsettled.inc();
  }
}
