import { z } from "zod";
import { replySchema } from "./reply-schema.js";
import { amqpHosts, count, duration } from "./schema-fields.js";

export const FAILURE_POLICIES = ["dead_letter", "requeue", "reject"] as const;
export const EXCHANGE_TYPES = ["topic", "direct", "fanout", "headers"] as const;

const tlsSchema = z.strictObject({
  ca_file: z.string().optional(),
  cert_file: z.string().optional(),
  key_file: z.string().optional(),
  passphrase: z.string().optional(),
  server_name: z.string().optional(),
  reject_unauthorized: z.boolean().default(true),
});

const bindingSchema = z.strictObject({
  routing_key: z
    .string({ error: 'expected the binding key (a string; "" for fanout and headers)' })
    .default(""),
  arguments: z.record(z.string(), z.unknown()).default({}),
});

export const circuitBreakerSchema = z.strictObject({
  enabled: z.boolean().default(true),
  // Consecutive invocations failed with a platform error (throttling, 5xx, network, missing function, access).
  failure_threshold: count("a whole number, 1 or more").min(1).default(5),
  // Function errors and timeouts across different messages: this share of at least this many, within `window`.
  function_error_ratio: z.number({ error: "expected a ratio between 0 and 1" }).gt(0).max(1).default(0.5),
  function_error_min_messages: count("a whole number, 1 or more").min(1).default(10),
  window: duration(1000).prefault("10s"),
  probe_interval: duration(100).prefault("1s"),
  max_probe_interval: duration(100).prefault("30s"),
});

export const amqpSchema = z.strictObject({
  host: amqpHosts,
  name: z
    .string({ error: "expected the queue name (a string)" })
    .min(1, { error: "the queue name must not be empty" }),
  exchange: z
    .string({ error: "expected the exchange name (a string)" })
    .min(1, { error: "the exchange name must not be empty" }),
  durable: z.boolean().default(false),
  delete: z.boolean().default(false),
  exclusive: z.boolean().default(false),
  no_wait: z.boolean().default(false),
  prefetch_count: count("a whole number from 0 to 65535").min(0).max(65535).default(0),
  prefetch_size: count("a whole number of bytes, 0 or more").min(0).default(0),
  no_local: z.boolean().default(false),
  auto_ack: z.boolean().default(false),
  // KrakenD v2.11+: nack without requeue (dead-letters through the queue's own DLX, or drops).
  nack_discard: z.boolean().default(false),
  // Extensions of this agent.
  exchange_type: z.enum(EXCHANGE_TYPES).default("topic"),
  bindings: z
    .array(bindingSchema, { error: 'expected a list of {"routing_key": ..., "arguments": {...}}' })
    .default([]),
  declare: z.boolean().default(true),
  failure_policy: z.enum(FAILURE_POLICIES).optional(),
  dead_letter_queue: z.string().min(1).optional(),
  agent_exchange: z.string().min(1).optional(),
  retry_delays: z
    .array(duration(1000), { error: 'expected a list of durations such as ["10s", "1m"]' })
    .default([]),
  requeue_delay: duration().prefault("1s"),
  queue_arguments: z.record(z.string(), z.unknown()).default({}),
  max_backlog: count("a whole number, 1 or more").min(1).max(65535).optional(),
  consumer_timeout: duration(1000).prefault("30m"),
  circuit_breaker: circuitBreakerSchema.prefault({}),
  tls: tlsSchema.optional(),
  reply: replySchema.optional(),
});
