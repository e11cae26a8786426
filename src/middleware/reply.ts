import type { RabbitMQReplyEntry } from "../event/rabbitmq-event.js";
import type { AnyParsedRabbitMQRecord } from "./parsed-event-types.js";

/** Marks what {@link reply} returns, across copies of this module (a bundle may hold two). */
const REPLY_MARK = Symbol.for("amqp-lambda-agent.reply");

/** What a record handler returns to have the agent publish a reply for its record. */
export interface RabbitMQReply<TBody = unknown> {
  readonly [REPLY_MARK]: true;
  readonly body: TBody;
  readonly headers: Record<string, string | number | boolean> | undefined;
}

/**
 * The reply to publish for the record a handler processed (the agent's `reply` setting):
 * {@link processRecords} and {@link rabbitMQPartialBatchFailure} put it in the response's `replies`
 * beside `batchItemFailures`. `body` is sent as `JSON.stringify(body)`; `null` gives an empty body.
 * A handler that returns anything else gives its record no reply.
 *
 * @example
 * processRecords(event, async (record) => reply({ total: await price(record.body) }, { headers: { "x-priced-by": "v2" } }));
 */
export function reply<TBody>(
  body: TBody,
  options: { headers?: Record<string, string | number | boolean> } = {},
): RabbitMQReply<TBody> {
  return { [REPLY_MARK]: true, body, headers: options.headers };
}

/** Whether a value is what {@link reply} returns. */
export function isRabbitMQReply(value: unknown): value is RabbitMQReply {
  return (
    typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[REPLY_MARK] === true
  );
}

/**
 * The `replies` entries for records whose handler returned {@link reply} (`values[i]` is what the
 * handler of `records[i]` returned); failed records (`failed`) and records without a delivery tag
 * get none.
 */
export function replyEntries(
  records: readonly AnyParsedRabbitMQRecord[],
  values: readonly unknown[],
  failed: ReadonlySet<string>,
): RabbitMQReplyEntry[] {
  const entries: RabbitMQReplyEntry[] = [];
  records.forEach((record, index) => {
    const value = values[index];
    const tag: unknown = (record as { deliveryTag?: unknown }).deliveryTag;
    if (!isRabbitMQReply(value) || typeof tag !== "string" || tag === "" || failed.has(tag)) return;
    const entry: RabbitMQReplyEntry = { itemIdentifier: tag, body: value.body };
    if (value.headers !== undefined) entry.headers = value.headers;
    entries.push(entry);
  });
  return entries;
}
