import type { AgentConfig } from "../config/types.js";
import { DEFAULT_RETRY_BACKOFF } from "../shared/backoff.js";

/**
 * Warnings about settings that work but can bite, said once at start-up:
 * - a message may stay unacked longer than RabbitMQ's `consumer_timeout` (the broker then closes the
 *   channel and redelivers everything on it): its attempts (`timeout × (max_retries + 1)` plus the
 *   backoffs) after waiting behind the rest of the prefetch window;
 * - with `order_key`, one key whose message is retrying holds its later messages in the window.
 */
export function startupWarnings(config: AgentConfig): string[] {
  const warnings: string[] = [];
  const { consumer, delivery, amqp } = config;
  if (!amqp.autoAck) {
    const attempts = delivery.maxRetries + 1;
    const perMessageMs = consumer.timeoutMs * attempts + DEFAULT_RETRY_BACKOFF.maxMs * delivery.maxRetries;
    const window = amqp.prefetchCount;
    const rounds = Math.ceil(window / Math.max(1, consumer.workers * delivery.batchSize));
    const worstMs = perMessageMs * rounds;
    if (worstMs > amqp.consumerTimeoutMs) {
      warnings.push(
        `a message may stay unacked for up to ${seconds(worstMs)} (${attempts} attempt(s) of up to ${seconds(consumer.timeoutMs)} each, behind ${rounds} batch(es) of the ${window}-message prefetch window), longer than consumer_timeout ${seconds(amqp.consumerTimeoutMs)}: RabbitMQ would close the channel and redeliver what it holds; lower prefetch_count, max_retries or timeout, or raise the broker's consumer_timeout (and this agent's "consumer_timeout" to match)`,
      );
    }
  }
  if (consumer.orderKey) {
    warnings.push(
      `order_key: messages of one key run one at a time, in order; a key whose message is retrying keeps its later messages waiting in the ${amqp.prefetchCount}-message prefetch window. If one key can fill that window, the other keys wait: raise prefetch_count (or use retry_delays, which take a failing message out of its lane). /metrics shows amqp_lambda_agent_order_keys_waiting and amqp_lambda_agent_oldest_wait_seconds`,
    );
  }
  for (const backend of config.backends) if (backend.kind === "http") warnings.push(...backend.warnings);
  return warnings;
}

/** What the config holds that has no effect here (KrakenD's response shaping), said once. */
export function startupNotes(config: AgentConfig): string[] {
  return config.backends.flatMap((backend) => (backend.kind === "http" ? backend.notes : []));
}

function seconds(ms: number): string {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;
}
