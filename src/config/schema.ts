import { z } from "zod";
import { amqpSchema } from "./amqp-schema.js";
import { connectionSchema, consumerSchema } from "./consumer-schema.js";
import { lambdaSchema } from "./lambda-schema.js";
import { duration } from "./schema-fields.js";

export { amqpSchema, EXCHANGE_TYPES, FAILURE_POLICIES } from "./amqp-schema.js";
export { BACKOFF_STRATEGIES, connectionSchema, consumerSchema } from "./consumer-schema.js";
export { EVENT_FORMATS, INVOKE_CLIENTS, lambdaSchema } from "./lambda-schema.js";
export { LARGE_PAYLOAD_CLEANUPS, SERVER_SIDE_ENCRYPTIONS } from "./large-payload-schema.js";

const backendEntrySchema = z.looseObject({
  extra_config: z.looseObject({ "backend/lambda": lambdaSchema.optional() }).optional(),
});

export const agentSchema = z.looseObject({
  name: z.string({ error: "expected the agent's name (a string)" }).min(1, { error: "must not be empty" }),
  connection: connectionSchema.prefault({}),
  consumer: consumerSchema,
  backend: z.array(backendEntrySchema, {
    error:
      'expected a list of backends: extra_config["backend/lambda"] for a Lambda function, "host" and "url_pattern" for an HTTP endpoint',
  }),
  extra_config: z.looseObject(
    {
      "async/amqp": amqpSchema,
      // KrakenD's: several backends called in order, stopping at the first failure.
      proxy: z.looseObject({ sequential: z.boolean().optional() }).optional(),
    },
    { error: 'expected an object holding "async/amqp"' },
  ),
});

/** A single message's CONSUMER span: a child of the message's context, or a trace of its own with a link. */
export const TRACING_PARENTS = ["child", "link"] as const;

export const agentOptionsSchema = z.strictObject({
  http: z
    .strictObject({
      enabled: z.boolean().default(true),
      address: z.string().default("127.0.0.1:9464"),
      // /healthz turns 503 when an agent could not connect or consume for this long.
      unhealthy_after: duration(1000).prefault("5m"),
    })
    .prefault({}),
  log_level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).optional(),
  summary_interval: duration(1000).prefault("30s"),
  // CloudWatch Embedded Metric Format lines for autoscaling ("auto": on when running on ECS).
  emf: z
    .strictObject({
      enabled: z.union([z.boolean(), z.literal("auto")]).default("auto"),
      namespace: z.string().min(1).default("AmqpLambdaAgent"),
      service: z.string().min(1).optional(),
      interval: duration(1000).prefault("60s"),
    })
    .prefault({}),
  // Trace context carried from message to function and copies; spans exported as OTEL_* say.
  tracing: z
    .strictObject({
      enabled: z.boolean().default(true),
      parent: z.enum(TRACING_PARENTS).default("child"),
      settle_spans: z.boolean().default(false),
    })
    .prefault({}),
});

export const fileSchema = z.looseObject({
  async_agent: z.array(agentSchema, { error: 'expected "async_agent" to be a list of agents' }).min(1, {
    error: 'add at least one agent to "async_agent"',
  }),
  amqp_lambda_agent: agentOptionsSchema.prefault({}),
  // KrakenD's service timeout, the default of every consumer.timeout.
  timeout: z.unknown().optional(),
  // KrakenD's default hosts of a backend that lists none.
  host: z
    .array(z.string({ error: 'expected a base URL such as "http://127.0.0.1:8080"' }), {
      error: 'expected a list of base URLs such as ["http://127.0.0.1:8080"]',
    })
    .default([]),
});

export type RawFile = z.output<typeof fileSchema>;
export type RawAgent = z.output<typeof agentSchema>;
export type RawAmqp = z.output<typeof amqpSchema>;
