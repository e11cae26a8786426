import { z } from "zod";
import { BACKOFF_STRATEGIES } from "../shared/backoff.js";
import { count, duration } from "./schema-fields.js";

export { BACKOFF_STRATEGIES };

export const connectionSchema = z.strictObject({
  max_retries: count("a whole number (0 or less retries forever)").default(0),
  backoff_strategy: z.enum(BACKOFF_STRATEGIES).default("fallback"),
  health_interval: duration(1000).prefault("1s"),
});

export const consumerSchema = z.strictObject({
  // Required for topic and direct exchanges; checked with the exchange type.
  topic: z.string({ error: 'expected the binding key, e.g. "*", "orders.#" or "order.created"' }).optional(),
  workers: count("a whole number, 1 or more").min(1).default(1),
  // Defaults to the file's root `timeout`, else 2 s (KrakenD).
  timeout: duration(1).optional(),
  max_rate: z.number({ error: "expected messages per second (0 or -1 means unlimited)" }).default(0),
  drain_timeout: duration().prefault("30s"),
  order_key: z
    .string({ error: 'expected "routing_key", "header:<name>" or "body:<dotted.path>"' })
    .optional(),
});
