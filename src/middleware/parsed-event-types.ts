/**
 * Types of the event after {@link rabbitMQParser} (or {@link parseRabbitMQEvent}) decoded it.
 *
 * @module
 */
import type { AmazonMQRabbitMQMessage, RabbitMQEvent, RabbitMQMessage } from "../event/rabbitmq-event.js";

/** A header value after decoding: byte arrays became UTF-8 strings, recursively. */
export type RabbitMQParsedHeaderValue =
  | string
  | number
  | boolean
  | null
  | RabbitMQParsedHeaderValue[]
  | { [key: string]: RabbitMQParsedHeaderValue };

/** Decoded headers of a message; `{}` when the message has none. */
export type RabbitMQParsedHeaders = Record<string, RabbitMQParsedHeaderValue>;

/** Fields the parser adds to every message; the original fields (`data`, `basicProperties`, …) stay. */
export interface RabbitMQDecodedFields {
  /** The decoded body bytes (`data` decoded from base64). */
  rawBody: Buffer;
  /** `basicProperties.headers`, decoded. */
  headers: RabbitMQParsedHeaders;
  /** Queue name, from the `"<queue>::<vhost>"` key. */
  queue: string;
  /** Virtual host, from the `"<queue>::<vhost>"` key (`"/"` when the key has none). */
  vhost: string;
}

/**
 * A message whose body was decoded. `body` is the parsed JSON value when the content type is
 * JSON (`application/json` or a `+json` suffix), otherwise the body as a UTF-8 string.
 * `TBody` is not checked at runtime: validate the body if it comes from an untrusted producer.
 */
export type RabbitMQRecord<
  TBody = unknown,
  TMessage extends AmazonMQRabbitMQMessage = RabbitMQMessage,
> = TMessage &
  RabbitMQDecodedFields & {
    body: TBody;
    parseError?: undefined;
  };

/**
 * A message whose body could not be decoded (e.g. invalid JSON with a JSON content type).
 * `body` holds the body as a UTF-8 string. The partial batch failure helpers report it as failed.
 */
export type RabbitMQUnparsableRecord<TMessage extends AmazonMQRabbitMQMessage = RabbitMQMessage> = TMessage &
  RabbitMQDecodedFields & {
    body: string;
    parseError: Error;
  };

/** A message after parsing: check `parseError` to tell the two cases apart. */
export type ParsedRabbitMQRecord<
  TBody = unknown,
  TMessage extends AmazonMQRabbitMQMessage = RabbitMQMessage,
> = RabbitMQRecord<TBody, TMessage> | RabbitMQUnparsableRecord<TMessage>;

/**
 * The event after parsing. Messages in `rmqMessagesByQueue` are decoded in place, and `records`
 * lists the same objects flat, queue after queue in key order, each queue in message order.
 */
export interface ParsedRabbitMQEvent<
  TBody = unknown,
  TMessage extends AmazonMQRabbitMQMessage = RabbitMQMessage,
> extends Omit<RabbitMQEvent<TMessage>, "rmqMessagesByQueue"> {
  rmqMessagesByQueue: Record<string, ParsedRabbitMQRecord<TBody, TMessage>[]>;
  records: ParsedRabbitMQRecord<TBody, TMessage>[];
}

/** Any parsed record, from the agent or from Amazon MQ (whose messages lack the agent's fields). */
export type AnyParsedRabbitMQRecord = ParsedRabbitMQRecord<
  unknown,
  AmazonMQRabbitMQMessage & Partial<Pick<RabbitMQMessage, "exchange" | "routingKey" | "deliveryTag">>
>;
