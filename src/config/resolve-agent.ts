import { ConfigError } from "../errors.js";
import { checkAgentRules } from "./agent-rules.js";
import { durationLabel } from "./duration-label.js";
import { parseOrderKey } from "./order-key-syntax.js";
import { resolveBackends } from "./resolve-backends.js";
import { resolveReply } from "./resolve-reply.js";
import type { RawAgent } from "./schema.js";
import type { AgentConfig, Binding } from "./types.js";

/** RabbitMQ's basic.qos prefetch_count is a short. */
const MAX_PREFETCH = 65_535;

/** One raw agent (schema-checked) → a fully defaulted `AgentConfig`; cross-field rules throw `ConfigError`. */
export function resolveAgent(
  raw: RawAgent,
  at: string,
  root: { timeoutMs: number; hosts: readonly string[] },
): { config: AgentConfig; secrets: string[] } {
  const amqp = raw.extra_config["async/amqp"];
  const amqpAt = `${at}.extra_config["async/amqp"]`;
  const consumerTimeoutMs = raw.consumer.timeout ?? root.timeoutMs;
  const { backends, delivery, secrets } = resolveBackends(raw, at, {
    rootHosts: root.hosts,
    consumerTimeoutMs,
  });
  const workers = raw.consumer.workers;
  const failurePolicy = amqp.failure_policy ?? (amqp.nack_discard ? "reject" : "dead_letter");
  const batchFill = Math.min(MAX_PREFETCH, delivery.batchSize * workers);
  const maxBacklog = Math.min(
    MAX_PREFETCH,
    amqp.max_backlog ?? Math.max(amqp.prefetch_count, 2 * batchFill, 100),
  );
  const urls = typeof amqp.host === "string" ? [amqp.host] : amqp.host;
  const orderKey = raw.consumer.order_key === undefined ? undefined : parseOrderKey(raw.consumer.order_key);
  if (orderKey && "error" in orderKey) throw new ConfigError(`${at}.consumer.order_key`, orderKey.error);
  const config: AgentConfig = {
    name: raw.name,
    connection: {
      maxRetries: raw.connection.max_retries <= 0 ? Number.POSITIVE_INFINITY : raw.connection.max_retries,
      backoffStrategy: raw.connection.backoff_strategy,
      healthIntervalMs: raw.connection.health_interval,
    },
    consumer: {
      workers,
      timeoutMs: consumerTimeoutMs,
      maxRate: Math.max(raw.consumer.max_rate, 0),
      drainTimeoutMs: raw.consumer.drain_timeout,
      orderKey,
    },
    lambda: backends.find((b) => b.kind === "lambda")?.lambda,
    backends,
    delivery,
    amqp: {
      urls,
      queue: amqp.name,
      exchange: amqp.exchange,
      exchangeType: amqp.exchange_type,
      bindings: bindingsOf(raw, amqpAt, at),
      declare: amqp.declare,
      durable: amqp.durable,
      autoDelete: amqp.delete,
      exclusive: amqp.exclusive,
      noWait: amqp.no_wait,
      // With manual acks the broker's prefetch is the back-pressure: 0 (KrakenD's "unlimited") becomes
      // the agent's backlog limit. A smaller value is raised so batches can fill.
      prefetchCount: amqp.auto_ack
        ? amqp.prefetch_count
        : amqp.prefetch_count > 0
          ? Math.min(MAX_PREFETCH, Math.max(amqp.prefetch_count, batchFill))
          : maxBacklog,
      requestedPrefetchCount: amqp.prefetch_count,
      prefetchSize: amqp.prefetch_size,
      noLocal: amqp.no_local,
      autoAck: amqp.auto_ack,
      failurePolicy,
      deadLetterQueue: amqp.dead_letter_queue ?? `${amqp.name}.dlq`,
      agentExchange: amqp.agent_exchange ?? `${amqp.name}.agent`,
      retrySteps: amqp.retry_delays.map((delayMs) => ({
        delayMs,
        queue: `${amqp.name}.retry.${durationLabel(delayMs)}`,
        routingKey: `retry.${durationLabel(delayMs)}`,
      })),
      setAside:
        amqp.circuit_breaker.enabled && orderKey === undefined
          ? { queue: `${amqp.name}.retry.setaside`, routingKey: "retry.setaside" }
          : undefined,
      requeueDelayMs: amqp.requeue_delay,
      queueArguments: amqp.queue_arguments,
      maxBacklog,
      consumerTimeoutMs: amqp.consumer_timeout,
      circuitBreaker: {
        enabled: amqp.circuit_breaker.enabled,
        failureThreshold: amqp.circuit_breaker.failure_threshold,
        functionErrorRatio: amqp.circuit_breaker.function_error_ratio,
        functionErrorMinMessages: amqp.circuit_breaker.function_error_min_messages,
        windowMs: amqp.circuit_breaker.window,
        probeIntervalMs: amqp.circuit_breaker.probe_interval,
        maxProbeIntervalMs: Math.max(
          amqp.circuit_breaker.max_probe_interval,
          amqp.circuit_breaker.probe_interval,
        ),
      },
      tls: amqp.tls && {
        caFile: amqp.tls.ca_file,
        certFile: amqp.tls.cert_file,
        keyFile: amqp.tls.key_file,
        passphrase: amqp.tls.passphrase,
        serverName: amqp.tls.server_name,
        rejectUnauthorized: amqp.tls.reject_unauthorized,
      },
      reply: resolveReply(amqp.reply, `${amqpAt}.reply`, backends.length),
    },
  };
  checkAgentRules(config, raw, { at, amqpAt });
  return { config, secrets };
}

/** `consumer.topic` is the first binding (KrakenD), except on a headers exchange; then `bindings`. */
function bindingsOf(raw: RawAgent, amqpAt: string, at: string): Binding[] {
  const amqp = raw.extra_config["async/amqp"];
  const topic = raw.consumer.topic;
  const extra = amqp.bindings.map((b) => ({ routingKey: b.routing_key, arguments: b.arguments }));
  switch (amqp.exchange_type) {
    case "headers":
      if (topic !== undefined && topic !== "") {
        throw new ConfigError(
          `${at}.consumer.topic`,
          `a headers exchange routes on header values, not on "${topic}": remove consumer.topic and bind with "bindings": [{"arguments": {"x-match": "all", ...}}]`,
        );
      }
      if (extra.length === 0) {
        throw new ConfigError(
          `${amqpAt}.bindings`,
          'a headers exchange needs at least one binding with arguments, e.g. [{"arguments": {"x-match": "all", "type": "order"}}]',
        );
      }
      extra.forEach((binding, index) => {
        if (Object.keys(binding.arguments).length === 0) {
          throw new ConfigError(
            `${amqpAt}.bindings[${index}].arguments`,
            'a headers binding without arguments matches every message; add the headers to match (and "x-match": "all" or "any")',
          );
        }
      });
      return extra;
    case "fanout":
      return [{ routingKey: topic ?? "", arguments: {} }, ...extra];
    default:
      if (topic === undefined) {
        throw new ConfigError(
          `${at}.consumer.topic`,
          `is required: the binding key of the queue on the ${amqp.exchange_type} exchange, e.g. "*", "orders.#" or "order.created"`,
        );
      }
      return [{ routingKey: topic, arguments: {} }, ...extra];
  }
}
