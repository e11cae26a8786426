import type { Channel, ChannelModel } from "amqplib";
import type { AgentConfig } from "../config/types.js";
import { AgentError, toError } from "../errors.js";
import { REPLY, replyCode, topologyHint } from "./amqp-reply.js";

/** The agent's exchange routes dead letters to the dead-letter queue with this key. */
export const DEAD_LETTER_ROUTING_KEY = "dead-letter";

/** What the agent needs on the broker, by name: for declaring, checking and `validate`. */
export interface TopologyPlan {
  exchange: { name: string; type: string; durable: boolean; autoDelete: boolean };
  queue: {
    name: string;
    durable: boolean;
    autoDelete: boolean;
    exclusive: boolean;
    arguments: Record<string, unknown>;
  };
  bindings: Array<{ routingKey: string; arguments: Record<string, unknown> }>;
  /** The agent's own direct exchange, when it publishes dead letters or retries. */
  agentExchange: string | undefined;
  /** Queues bound to the agent's exchange: the dead-letter queue, the retry and set-aside queues. */
  agentQueues: Array<{ name: string; routingKey: string; arguments: Record<string, unknown> }>;
}

/**
 * The agent's own queues are quorum queues when the consumed queue is one, so the loss of a node
 * neither loses a dead letter or a waiting retry nor blocks the agent (a classic queue whose node is
 * down cannot be declared). Retry queues dead-letter at least once (a quorum queue's default is at
 * most once).
 */
function ownQueueType(config: AgentConfig, retry: boolean): Record<string, unknown> {
  if (config.amqp.queueArguments["x-queue-type"] !== "quorum") return {};
  if (!retry) return { "x-queue-type": "quorum" };
  return {
    "x-queue-type": "quorum",
    "x-dead-letter-strategy": "at-least-once",
    "x-overflow": "reject-publish",
  };
}

export function topologyPlan(config: AgentConfig): TopologyPlan {
  const { amqp } = config;
  const agentQueues: TopologyPlan["agentQueues"] = [];
  if (amqp.failurePolicy === "dead_letter") {
    agentQueues.push({
      name: amqp.deadLetterQueue,
      routingKey: DEAD_LETTER_ROUTING_KEY,
      arguments: ownQueueType(config, false),
    });
  }
  for (const step of amqp.retrySteps) {
    agentQueues.push({
      name: step.queue,
      routingKey: step.routingKey,
      arguments: {
        ...ownQueueType(config, true),
        "x-message-ttl": step.delayMs,
        // Back to the consumed queue only (the default exchange routes by queue name).
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": amqp.queue,
      },
    });
  }
  if (amqp.setAside) {
    agentQueues.push({
      name: amqp.setAside.queue,
      routingKey: amqp.setAside.routingKey,
      arguments: {
        ...ownQueueType(config, true),
        // At once back to the consumed queue, behind what waits there.
        "x-message-ttl": 0,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": amqp.queue,
      },
    });
  }
  return {
    exchange: {
      name: amqp.exchange,
      type: amqp.exchangeType,
      durable: amqp.durable,
      autoDelete: amqp.autoDelete,
    },
    queue: {
      name: amqp.queue,
      durable: amqp.durable,
      autoDelete: amqp.autoDelete,
      exclusive: amqp.exclusive,
      arguments: amqp.queueArguments,
    },
    bindings: amqp.bindings,
    agentExchange: agentQueues.length > 0 ? amqp.agentExchange : undefined,
    agentQueues,
  };
}

/**
 * Declares the topology (KrakenD's exchange and queue with `durable`/`delete`, the bindings, and the
 * agent's own exchange and queues) or, with `declare: false`, checks passively that all of it
 * exists. Runs again on every (re)connect. Throws an `AgentError` naming what is wrong.
 */
export async function prepareTopology(
  model: ChannelModel,
  channel: Channel,
  config: AgentConfig,
): Promise<void> {
  const plan = topologyPlan(config);
  if (config.amqp.declare) await declareTopology(channel, plan);
  else await checkTopology(model, plan);
  // KrakenD sends basic.qos only for a non-zero prefetch; RabbitMQ refuses a non-zero prefetch_size.
  if (config.amqp.prefetchCount > 0) await channel.prefetch(config.amqp.prefetchCount, false);
}

async function declareTopology(channel: Channel, plan: TopologyPlan): Promise<void> {
  const { exchange, queue } = plan;
  await step(`exchange "${exchange.name}" (exchange_type "${exchange.type}")`, () =>
    channel.assertExchange(exchange.name, exchange.type, {
      durable: exchange.durable,
      autoDelete: exchange.autoDelete,
    }),
  );
  await step(`queue "${queue.name}"`, () =>
    channel.assertQueue(queue.name, {
      durable: queue.durable,
      autoDelete: queue.autoDelete,
      exclusive: queue.exclusive,
      arguments: queue.arguments,
    }),
  );
  for (const binding of plan.bindings) {
    await step(`binding of "${queue.name}" to "${exchange.name}"`, () =>
      channel.bindQueue(queue.name, exchange.name, binding.routingKey, binding.arguments),
    );
  }
  if (!plan.agentExchange) return;
  const agentExchange = plan.agentExchange;
  await step(`the agent's exchange "${agentExchange}"`, () =>
    channel.assertExchange(agentExchange, "direct", { durable: true, autoDelete: false }),
  );
  for (const own of plan.agentQueues) {
    await step(`queue "${own.name}"`, () =>
      channel.assertQueue(own.name, {
        durable: true,
        autoDelete: false,
        exclusive: false,
        arguments: own.arguments,
      }),
    );
    await step(`binding of "${own.name}" to "${agentExchange}"`, () =>
      channel.bindQueue(own.name, agentExchange, own.routingKey),
    );
  }
}

/** Passive checks, each on a channel of its own (a missing entity closes the channel it was asked on). */
async function checkTopology(model: ChannelModel, plan: TopologyPlan): Promise<void> {
  const checks: Array<[string, (channel: Channel) => Promise<unknown>]> = [
    [`exchange "${plan.exchange.name}"`, (c) => c.checkExchange(plan.exchange.name)],
    [`queue "${plan.queue.name}"`, (c) => c.checkQueue(plan.queue.name)],
  ];
  const agentExchange = plan.agentExchange;
  if (agentExchange)
    checks.push([`the agent's exchange "${agentExchange}"`, (c) => c.checkExchange(agentExchange)]);
  for (const own of plan.agentQueues) checks.push([`queue "${own.name}"`, (c) => c.checkQueue(own.name)]);
  for (const [what, check] of checks) {
    const channel = await model.createChannel();
    channel.on("error", () => undefined);
    try {
      await step(what, () => check(channel), true);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
}

async function step(what: string, run: () => Promise<unknown>, passive = false): Promise<void> {
  try {
    await run();
  } catch (thrown) {
    const error = toError(thrown);
    const missing = passive && replyCode(error) === REPLY.notFound;
    throw new AgentError(
      missing ? "TOPOLOGY_MISSING" : "TOPOLOGY_FAILED",
      missing
        ? `${what} does not exist ("declare": false declares nothing): declare it (amqp-lambda-agent validate prints the topology), or set "declare": true`
        : topologyHint(error, what),
      { cause: error },
    );
  }
}

/**
 * One line explaining the fields RabbitMQ or amqplib cannot honour and the prefetch the agent
 * chose, or `undefined` when every field is honoured as written. Accepted, never a crash: a KrakenD
 * config must work unchanged.
 */
export function startupConfigNotes(config: AgentConfig): string | undefined {
  const notes: string[] = [];
  const { prefetchCount, requestedPrefetchCount, autoAck, maxBacklog } = config.amqp;
  if (!autoAck && requestedPrefetchCount === 0) {
    notes.push(
      `prefetch_count 0 (unlimited) would let the broker push the whole queue: basic.qos set to ${prefetchCount} (max_backlog), the agent's back-pressure`,
    );
  } else if (prefetchCount !== requestedPrefetchCount && !autoAck) {
    notes.push(
      `prefetch_count ${requestedPrefetchCount} raised to ${prefetchCount} (batch_size ${config.delivery.batchSize} × workers ${config.consumer.workers}) so batches can fill`,
    );
  }
  if (autoAck) {
    notes.push(
      `auto_ack: the broker ignores prefetch, so the agent pauses its consumer (basic.cancel) while it holds ${maxBacklog} messages (max_backlog)`,
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
