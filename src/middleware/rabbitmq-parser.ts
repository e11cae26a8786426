import type { MiddlewareObj } from "@middy/core";
import type { AmazonMQRabbitMQMessage, RabbitMQMessage } from "../event/rabbitmq-event.js";
import { parseRabbitMQEvent } from "./parse-event.js";
import type { ParsedRabbitMQEvent } from "./parsed-event-types.js";

/**
 * Middy `before` middleware that decodes every message of the event in place (see
 * {@link parseRabbitMQEvent}): each message keeps its AWS fields and gains `body`, `rawBody`,
 * `headers`, `queue`, `vhost` and, when the body cannot be decoded, `parseError`. The event
 * gains `records`, the flat list of all messages.
 *
 * A bad message never fails the batch here: {@link rabbitMQPartialBatchFailure} and
 * {@link processRecords} report records with a `parseError` as failed.
 *
 * @typeParam TBody - the type you expect bodies to have (not checked at runtime).
 * @example
 * export const handler = middy()
 *   .use(rabbitMQParser<Order>())
 *   .handler(async (event) => { for (const record of event.records) console.log(record.body); });
 */
export function rabbitMQParser<
  TBody = unknown,
  TMessage extends AmazonMQRabbitMQMessage = RabbitMQMessage,
>(): MiddlewareObj<ParsedRabbitMQEvent<TBody, TMessage>> {
  return {
    name: "rabbitMQParser",
    before: (request) => {
      request.event = parseRabbitMQEvent<TBody, TMessage>(request.event);
    },
  };
}
