import { ConfigError } from "../errors.js";
import { compileFilterPatterns, FilterPatternError } from "../filter/index.js";
import type { RawAgent } from "./schema.js";
import type { AgentConfig } from "./types.js";

interface Paths {
  at: string;
  amqpAt: string;
}

/** Rules that involve more than one field. Each names the field to change. */
export function checkAgentRules(config: AgentConfig, raw: RawAgent, paths: Paths): void {
  const { amqp } = config;
  const { amqpAt } = paths;
  const rawAmqp = raw.extra_config["async/amqp"];
  for (const backend of config.backends) {
    if (backend.kind !== "lambda") continue;
    const { lambda } = backend;
    if (lambda.eventFormat === "body" && lambda.batchSize > 1) {
      throw new ConfigError(
        `${backend.at}.event_format`,
        '"body" sends one message body per invocation; use "rmq" with batch_size > 1',
      );
    }
    if (lambda.filterPatterns !== undefined) {
      try {
        compileFilterPatterns(lambda.filterPatterns);
      } catch (error) {
        if (!(error instanceof FilterPatternError)) throw error;
        throw new ConfigError(`${backend.at}.filter_patterns${error.path}`, error.detail);
      }
    }
  }
  if (rawAmqp.nack_discard && amqp.failurePolicy !== "reject") {
    throw new ConfigError(
      `${amqpAt}.nack_discard`,
      `nack_discard: true means failure_policy "reject", but failure_policy is "${amqp.failurePolicy}"; keep one of them`,
    );
  }
  if (amqp.autoAck && amqp.autoDelete) {
    // The broker ignores prefetch in no-ack mode, so the only pause is basic.cancel, and cancelling
    // the last consumer deletes an auto-delete queue with every message in it.
    throw new ConfigError(
      `${amqpAt}.delete`,
      "auto_ack with delete: true cannot be paused safely: the agent pauses an auto_ack consumer with basic.cancel, and RabbitMQ deletes an auto-delete queue (and its messages) when its last consumer is cancelled; set delete: false, or auto_ack: false",
    );
  }
  if (
    amqp.queueArguments["x-queue-type"] === "quorum" &&
    (!amqp.durable || amqp.autoDelete || amqp.exclusive)
  ) {
    throw new ConfigError(
      `${amqpAt}.queue_arguments["x-queue-type"]`,
      'a quorum queue must be durable and neither auto-delete nor exclusive: set "durable": true, "delete": false, "exclusive": false',
    );
  }
  if (amqp.agentExchange === amqp.exchange) {
    throw new ConfigError(
      `${amqpAt}.agent_exchange`,
      `the agent publishes dead letters and retries through an exchange of its own; "${amqp.exchange}" is the exchange it consumes from: pick another name`,
    );
  }
  for (const name of [amqp.deadLetterQueue, ...amqp.retrySteps.map((step) => step.queue)]) {
    if (name === amqp.queue) {
      throw new ConfigError(
        `${amqpAt}.dead_letter_queue`,
        `"${name}" is the queue the agent consumes; dead letters need a queue of their own`,
      );
    }
  }
}
