import { startupConfigNotes } from "./amqp/topology.js";
import type { AgentConfig, LoadedConfig } from "./config/types.js";
import { redactUrl } from "./observability/redact.js";

/** The resolved topology and behaviour of every agent, for `validate`, secrets redacted. */
export function describeConfig(config: LoadedConfig): string {
  return config.agents.map(describeAgent).join("\n\n");
}

function describeAgent(agent: AgentConfig): string {
  const { amqp, consumer, lambda, connection } = agent;
  const yesNo = (flag: boolean) => (flag ? "yes" : "no");
  const ms = (value: number) => `${value}ms`;
  const failure = {
    dead_letter: `publish to dead-letter queue "${amqp.deadLetterQueue}" (with error headers), then ack`,
    requeue: `nack and requeue after ${ms(amqp.requeueDelayMs)}`,
    reject: "nack without requeue (the queue's own dead-letter exchange, or dropped)",
  }[amqp.failurePolicy];
  const lines = [
    `agent "${agent.name}"`,
    `  broker      ${redactUrl(amqp.url)}`,
    `  exchange    ${amqp.exchange} (topic, durable ${yesNo(amqp.durable)}, auto-delete ${yesNo(amqp.autoDelete)})`,
    `  queue       ${amqp.queue} (durable ${yesNo(amqp.durable)}, auto-delete ${yesNo(amqp.autoDelete)}, exclusive ${yesNo(amqp.exclusive)}, arguments ${JSON.stringify(amqp.queueArguments)})`,
    `  binding     ${amqp.exchange} --"${consumer.topic}"--> ${amqp.queue}`,
    `  qos         ${amqp.prefetchCount > 0 ? `prefetch_count ${amqp.prefetchCount}` : "no basic.qos (unlimited prefetch)"}; agent backlog limit ${amqp.maxBacklog}`,
    `  consume     auto_ack ${yesNo(amqp.autoAck)}, workers ${consumer.workers}, timeout ${ms(consumer.timeoutMs)}, max_rate ${consumer.maxRate > 0 ? `${consumer.maxRate}/s` : "unlimited"}, drain ${ms(consumer.drainTimeoutMs)}`,
    `  function    ${lambda.functionName} (region ${lambda.region ?? "from the SDK chain"}, endpoint ${lambda.endpoint ?? "default"}, event ${lambda.eventFormat}, batch ${lambda.batchSize} / ${ms(lambda.batchWindowMs)})`,
    `  on failure  ${lambda.maxRetries} retries, then ${amqp.autoAck && amqp.failurePolicy !== "dead_letter" ? "nothing (auto_ack: the broker already dropped it)" : failure}`,
    `  reconnect   ${connection.backoffStrategy}, max_retries ${Number.isFinite(connection.maxRetries) ? connection.maxRetries : "unlimited"}, health every ${ms(connection.healthIntervalMs)}`,
  ];
  const warning = startupConfigNotes(agent);
  if (warning) lines.push(`  note        ${warning}`);
  return lines.join("\n");
}
