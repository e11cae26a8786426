/**
 * The event contract, shared by the agent (which builds it) and the middleware (which reads it):
 * the event the agent sends to a Lambda function, in the shape AWS uses for
 * Amazon MQ for RabbitMQ (`eventSource: "aws:rmq"`), plus three agent-only fields per message.
 *
 * @module
 */
import type { Handler } from "aws-lambda";

/**
 * A header value as it appears in the event. Strings arrive as their UTF-8 bytes
 * (`{ "bytes": [104, 105] }`, as AWS does); numbers, booleans and null are plain; arrays and
 * nested tables contain values encoded the same way.
 */
export type RabbitMQHeaderValue =
  | { bytes: number[] }
  | number
  | boolean
  | null
  | RabbitMQHeaderValue[]
  | { [key: string]: RabbitMQHeaderValue };

/** AMQP 0-9-1 basic properties of a message. Absent properties are `null`. */
export interface RabbitMQBasicProperties {
  contentType: string | null;
  contentEncoding: string | null;
  headers: Record<string, RabbitMQHeaderValue> | null;
  deliveryMode: number | null;
  priority: number | null;
  correlationId: string | null;
  replyTo: string | null;
  expiration: string | null;
  messageId: string | null;
  /** Formatted like AWS does, e.g. `"Jan 1, 1970, 12:33:41 AM"`. */
  timestamp: string | null;
  type: string | null;
  userId: string | null;
  appId: string | null;
  clusterId: string | null;
  /** Size of the body in bytes. */
  bodySize: number;
}

/** A message exactly as Amazon MQ for RabbitMQ sends it (AWS fields only). */
export interface AmazonMQRabbitMQMessage {
  basicProperties: RabbitMQBasicProperties;
  redelivered: boolean;
  /** The body, base64-encoded. */
  data: string;
}

/** A message as the agent sends it: the AWS fields plus where it came from and its delivery tag. */
export interface RabbitMQMessage extends AmazonMQRabbitMQMessage {
  exchange: string;
  routingKey: string;
  /** Delivery tag, as a decimal string. This is the `itemIdentifier` of a batch item failure. */
  deliveryTag: string;
}

/**
 * The Lambda event. Messages are grouped by `"<queue>::<vhost>"` (default vhost `"/"`).
 *
 * @typeParam TMessage - {@link RabbitMQMessage} (default, events from the agent) or
 * {@link AmazonMQRabbitMQMessage} (events from Amazon MQ itself).
 */
export interface RabbitMQEvent<TMessage extends AmazonMQRabbitMQMessage = RabbitMQMessage> {
  eventSource: "aws:rmq";
  /** Broker address without credentials, e.g. `"amqp://127.0.0.1:5672/"`. */
  eventSourceArn: string;
  rmqMessagesByQueue: Record<string, TMessage[]>;
}

/** An event as Amazon MQ for RabbitMQ sends it, without the agent's additions. */
export type AmazonMQRabbitMQEvent = RabbitMQEvent<AmazonMQRabbitMQMessage>;

/** One message to retry or dead-letter; `itemIdentifier` is the message's `deliveryTag`. */
export interface RabbitMQBatchItemFailure {
  itemIdentifier: string;
}

/**
 * What a function may return: the listed messages are retried or dead-lettered by the agent,
 * all others are acknowledged. Throwing instead fails the whole batch.
 */
export interface RabbitMQBatchResponse {
  batchItemFailures: RabbitMQBatchItemFailure[];
  /**
   * With the agent's `reply` set: the reply to publish for a message (by `deliveryTag`); a message
   * without an entry gets no reply. `body` is sent as `JSON.stringify(body)` (`null`: an empty body).
   */
  replies?: RabbitMQReplyEntry[];
}

/** One message's reply in a {@link RabbitMQBatchResponse}. */
export interface RabbitMQReplyEntry {
  itemIdentifier: string;
  body: unknown;
  /** Headers for the reply message (string, number or boolean values). */
  headers?: Record<string, string | number | boolean>;
}

/** A Lambda handler for agent events. */
export type RabbitMQHandler<TMessage extends AmazonMQRabbitMQMessage = RabbitMQMessage> = Handler<
  RabbitMQEvent<TMessage>,
  // biome-ignore lint/suspicious/noConfusingVoidType: an async handler that returns nothing returns Promise<void>
  RabbitMQBatchResponse | void
>;
