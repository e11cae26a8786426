import { z } from "zod";
import { parseDuration } from "./duration.js";

/** Node.js fires a longer timer at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A KrakenD duration string ("500ms", "1s", "2m"), converted to milliseconds. */
const duration = (min = 0) =>
  z.string({ error: 'expected a duration string such as "500ms", "1s" or "2m"' }).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `expected a duration such as "500ms", "1s" or "2m", got "${text}"`,
      });
      return z.NEVER;
    }
    if (ms > MAX_TIMER_MS) {
      ctx.addIssue({
        code: "custom",
        message: `must be at most 24 days (a Node.js timer's limit), got "${text}"`,
      });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: "custom", message: `must be at least ${min}ms, got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });

const count = (what: string) => z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` });

export const BACKOFF_STRATEGIES = [
  "linear",
  "linear-jitter",
  "exponential",
  "exponential-jitter",
  "fallback",
] as const;
export const FAILURE_POLICIES = ["dead_letter", "requeue", "reject"] as const;
export const EVENT_FORMATS = ["rmq", "body"] as const;

const amqpUrl = z.string({ error: 'expected an AMQP URL such as "amqp://user:password@host:5672/"' }).refine(
  (text) => {
    try {
      const url = new URL(text);
      return url.protocol === "amqp:" || url.protocol === "amqps:";
    } catch {
      return false;
    }
  },
  { error: 'expected an AMQP URL such as "amqp://user:password@host:5672/" (amqp:// or amqps://)' },
);

const tlsSchema = z.strictObject({
  ca_file: z.string().optional(),
  cert_file: z.string().optional(),
  key_file: z.string().optional(),
  passphrase: z.string().optional(),
  server_name: z.string().optional(),
  reject_unauthorized: z.boolean().default(true),
});

export const amqpSchema = z.strictObject({
  host: amqpUrl,
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
  failure_policy: z.enum(FAILURE_POLICIES).optional(),
  dead_letter_queue: z.string().min(1).optional(),
  requeue_delay: duration().prefault("1s"),
  queue_arguments: z.record(z.string(), z.unknown()).default({}),
  max_backlog: count("a whole number, 1 or more").min(1).optional(),
  tls: tlsSchema.optional(),
});

export const lambdaSchema = z.strictObject({
  function_name: z
    .string({ error: "expected the Lambda function name or ARN (a string)" })
    .min(1, { error: "must not be empty" }),
  // KrakenD takes the function name from a request parameter; an async agent has no request.
  function_param_name: z.string().optional(),
  region: z.string().min(1).optional(),
  max_retries: count("a whole number, 0 or more").min(0).default(2),
  endpoint: z.url({ error: 'expected a URL such as "http://localhost:3002"' }).optional(),
  batch_size: count("a whole number from 1 to 10000").min(1).max(10_000).default(1),
  batch_window: duration().prefault("0s"),
  event_format: z.enum(EVENT_FORMATS).default("rmq"),
});

export const connectionSchema = z.strictObject({
  max_retries: count("a whole number (0 or less retries forever)").default(0),
  backoff_strategy: z.enum(BACKOFF_STRATEGIES).default("fallback"),
  health_interval: duration(1000).prefault("1s"),
});

export const consumerSchema = z.strictObject({
  topic: z.string({ error: 'expected the binding key, e.g. "*", "orders.#" or "order.created"' }),
  workers: count("a whole number, 1 or more").min(1).default(1),
  // Defaults to the file's root `timeout`, else 2 s (KrakenD).
  timeout: duration(1).optional(),
  max_rate: z.number({ error: "expected messages per second (0 or -1 means unlimited)" }).default(0),
  drain_timeout: duration().prefault("30s"),
});

const backendEntrySchema = z.looseObject({
  extra_config: z.looseObject({ "backend/lambda": lambdaSchema.optional() }).optional(),
});

export const agentSchema = z.looseObject({
  name: z.string({ error: "expected the agent's name (a string)" }).min(1, { error: "must not be empty" }),
  connection: connectionSchema.prefault({}),
  consumer: consumerSchema,
  backend: z.array(backendEntrySchema, {
    error: 'expected a list of backends, one with extra_config["backend/lambda"]',
  }),
  extra_config: z.looseObject(
    { "async/amqp": amqpSchema },
    { error: 'expected an object holding "async/amqp"' },
  ),
});

export const agentOptionsSchema = z.strictObject({
  http: z
    .strictObject({
      enabled: z.boolean().default(true),
      address: z.string().default("127.0.0.1:9464"),
    })
    .prefault({}),
  log_level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).optional(),
  summary_interval: duration(1000).prefault("30s"),
});

export const fileSchema = z.looseObject({
  async_agent: z.array(agentSchema, { error: 'expected "async_agent" to be a list of agents' }).min(1, {
    error: 'add at least one agent to "async_agent"',
  }),
  amqp_lambda_agent: agentOptionsSchema.prefault({}),
  // KrakenD's service timeout, the default of every consumer.timeout.
  timeout: z.unknown().optional(),
});

export type RawFile = z.output<typeof fileSchema>;
export type RawAgent = z.output<typeof agentSchema>;
