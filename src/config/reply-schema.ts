import { z } from "zod";
import { count, duration } from "./schema-fields.js";

export const REPLY_MODES = ["reply_to", "exchange"] as const;

/** `async/amqp.reply`: publish the function's result (absent: no replies). */
export const replySchema = z.strictObject({
  mode: z.enum(REPLY_MODES, { error: 'expected "reply_to" (the message\'s reply_to) or "exchange"' }),
  exchange: z
    .string({ error: "expected the results exchange's name (a string)" })
    .min(1, { error: "the results exchange's name must not be empty" })
    .optional(),
  routing_key: z.string({ error: 'expected a routing key template such as "{{routing_key}}"' }).optional(),
  persistent: z.boolean().default(true),
  content_type: z.string().min(1).optional(),
  headers: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]), {
      error: "expected an object of static headers (string, number or boolean values)",
    })
    .default({}),
  backend: count("a backend's index, 0 or more").min(0).default(0),
  expiration: duration(1).optional(),
  // An error reply when a message is dead-lettered (best effort, at most once).
  on_failure: z.enum(["none", "error_reply"], { error: 'expected "none" or "error_reply"' }).default("none"),
});
