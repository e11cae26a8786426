import type { Channel } from "amqplib";
import type { AgentConfig } from "../config/types.js";

/**
 * Declares what the agent consumes from, exactly as KrakenD's async/amqp driver does: a `topic`
 * exchange and the queue (both with `durable` and `delete`), the binding on `consumer.topic`, and
 * qos from `prefetch_count`. Also the dead-letter queue when the failure policy uses one.
 * Runs again on every reconnect.
 */
export async function declareTopology(channel: Channel, config: AgentConfig): Promise<void> {
  const { amqp, consumer } = config;
  await channel.assertExchange(amqp.exchange, "topic", {
    durable: amqp.durable,
    autoDelete: amqp.autoDelete,
  });
  await channel.assertQueue(amqp.queue, {
    durable: amqp.durable,
    autoDelete: amqp.autoDelete,
    exclusive: amqp.exclusive,
    arguments: amqp.queueArguments,
  });
  await channel.bindQueue(amqp.queue, amqp.exchange, consumer.topic);
  if (amqp.failurePolicy === "dead_letter") await declareDeadLetterQueue(channel, config);
  // KrakenD sends basic.qos only for a non-zero prefetch; RabbitMQ refuses a non-zero prefetch_size.
  if (amqp.prefetchCount > 0) await channel.prefetch(amqp.prefetchCount, false);
}

/** The agent's own dead-letter queue: always durable, so dead letters survive a broker restart. */
export async function declareDeadLetterQueue(channel: Channel, config: AgentConfig): Promise<void> {
  await channel.assertQueue(config.amqp.deadLetterQueue, {
    durable: true,
    autoDelete: false,
    exclusive: false,
  });
}

/**
 * One line explaining the fields RabbitMQ or amqplib cannot honour (and the prefetch the agent
 * raised for batching), or `undefined` when every field is honoured as written.
 * These fields are accepted (a KrakenD config must work unchanged), never a crash.
 */
export function startupConfigNotes(config: AgentConfig): string | undefined {
  const notes: string[] = [];
  const { prefetchCount, requestedPrefetchCount } = config.amqp;
  if (prefetchCount !== requestedPrefetchCount) {
    notes.push(
      `prefetch_count ${requestedPrefetchCount} raised to ${prefetchCount} (batch_size ${config.lambda.batchSize} × workers ${config.consumer.workers}) so batches can fill`,
    );
  }
  if (config.amqp.prefetchSize > 0) {
    notes.push(
      `prefetch_size ${config.amqp.prefetchSize} ignored (RabbitMQ answers a non-zero prefetch_size with 540 NOT_IMPLEMENTED)`,
    );
  }
  if (config.amqp.noWait) notes.push("no_wait ignored (amqplib always waits for declare-ok)");
  if (config.amqp.noLocal) notes.push("no_local has no effect (RabbitMQ does not implement it)");
  return notes.length > 0 ? `config notes: ${notes.join("; ")}` : undefined;
}
