import type { MiddlewareObj } from "@middy/core";
import type { AmazonMQRabbitMQMessage, RabbitMQMessage } from "../event/rabbitmq-event.js";
import { parseRabbitMQEvent } from "./parse-event.js";
import type { ParsedRabbitMQEvent } from "./parsed-event-types.js";
import { resolveLargePayloads } from "./resolve-large-payloads.js";
import { type LargePayloadOption, s3ObjectReader } from "./s3-object-reader.js";

/** Options of {@link rabbitMQParser}. */
export interface RabbitMQParserOptions {
  /**
   * Resolve S3 pointers (the agent's `large_payload`, or a publisher's own extended-client
   * pointer): `true` reads them with an `S3Client` configured from the environment, `{ client }`
   * with yours (an endpoint, path-style URLs). Needs `@aws-sdk/client-s3` (in the Lambda runtime).
   */
  largePayload?: LargePayloadOption;
}

/**
 * Middy `before` middleware that decodes every message of the event in place (see
 * {@link parseRabbitMQEvent}): each message keeps its AWS fields and gains `body`, `rawBody`,
 * `headers`, `queue`, `vhost` and, when the body cannot be decoded, `parseError`. The event
 * gains `records`, the flat list of all messages.
 *
 * With `largePayload`, a record whose body is an S3 pointer gets the object's bytes as `rawBody`
 * and `body` (the function needs `s3:GetObject` on the bucket).
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
export function rabbitMQParser<TBody = unknown, TMessage extends AmazonMQRabbitMQMessage = RabbitMQMessage>(
  options: RabbitMQParserOptions = {},
): MiddlewareObj<ParsedRabbitMQEvent<TBody, TMessage>> {
  const read = options.largePayload ? s3ObjectReader(options.largePayload) : undefined;
  return {
    name: "rabbitMQParser",
    before: async (request) => {
      request.event = parseRabbitMQEvent<TBody, TMessage>(request.event);
      if (read) await resolveLargePayloads(request.event.records, read);
    },
  };
}
