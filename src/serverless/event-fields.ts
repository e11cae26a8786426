import { connectionSchema, consumerSchema, lambdaSchema } from "../config/schema.js";
import { isPlainObject } from "../shared/is-plain-object.js";

/** An `amqp` event's flat fields, sorted into the sections of one agent in the agent config file. */
export interface EventSections {
  amqp: Record<string, unknown>;
  consumer: Record<string, unknown>;
  connection: Record<string, unknown>;
  lambda: Record<string, unknown>;
}

const CONSUMER_KEYS = new Set(Object.keys(consumerSchema.shape));
// `max_retries` is both a connection and a backend/lambda field; flat, it means Lambda invoke
// retries. Reconnect attempts go in a nested `connection:` block (`connection: {max_retries: 5}`).
const LAMBDA_KEYS = new Set(Object.keys(lambdaSchema.shape));
const CONNECTION_KEYS = new Set(Object.keys(connectionSchema.shape).filter((key) => !LAMBDA_KEYS.has(key)));

/** Fields the plugin sets itself: a user value would break the IAM policy or the offline wiring. */
export const RESERVED_KEYS = new Set(["function_name", "function_param_name"]);

/**
 * Routes each field to its section; everything else goes to `async/amqp`, so a key no section
 * knows meets the strict `async/amqp` schema and gets the agent's own "unknown key ...; did you
 * mean ...?" message.
 */
export function splitEventFields(fields: Record<string, unknown>): EventSections {
  const sections: EventSections = { amqp: {}, consumer: {}, connection: {}, lambda: {} };
  for (const [key, value] of Object.entries(fields)) {
    if (key === "connection" && isPlainObject(value)) Object.assign(sections.connection, value);
    else if (CONSUMER_KEYS.has(key)) sections.consumer[key] = value;
    else if (LAMBDA_KEYS.has(key)) sections.lambda[key] = value;
    else if (CONNECTION_KEYS.has(key)) sections.connection[key] = value;
    else sections.amqp[key] = value;
  }
  return sections;
}
