import { z } from "zod";
import { largePayloadSchema } from "./large-payload-schema.js";
import { count, duration } from "./schema-fields.js";

export const EVENT_FORMATS = ["rmq", "body"] as const;
export const INVOKE_CLIENTS = ["http", "sdk"] as const;

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
  // Checked by the filter compiler (exit 2 with the path of the bad operator).
  filter_patterns: z.array(z.unknown(), { error: "expected a list of event patterns" }).optional(),
  client: z.enum(INVOKE_CLIENTS).default("http"),
  // Bodies too large for an invocation go to S3; the event carries a pointer (the claim check).
  large_payload: largePayloadSchema.optional(),
});
