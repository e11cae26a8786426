import type { Context } from "aws-lambda";
import type {
  AmazonMQRabbitMQEvent,
  AmazonMQRabbitMQMessage,
  RabbitMQBasicProperties,
  RabbitMQEvent,
  RabbitMQHeaderValue,
  RabbitMQMessage,
} from "../../../src/middleware/index.js";

/** Lambda context stand-in: middy only needs an object. */
export const context = {} as Context;

/** Options that silence the failure logger. */
export const silent = { logger: false } as const;

export function basicProperties(overrides: Partial<RabbitMQBasicProperties> = {}): RabbitMQBasicProperties {
  return {
    contentType: null,
    contentEncoding: null,
    headers: null,
    deliveryMode: null,
    priority: null,
    correlationId: null,
    replyTo: null,
    expiration: null,
    messageId: null,
    timestamp: null,
    type: null,
    userId: null,
    appId: null,
    clusterId: null,
    bodySize: 0,
    ...overrides,
  };
}

export interface MessageOptions {
  contentType?: string | null;
  headers?: Record<string, RabbitMQHeaderValue> | null;
  exchange?: string;
  routingKey?: string;
}

/** An AWS-only message with the given body. */
export function amazonMessage(
  body: string | Uint8Array,
  options: MessageOptions = {},
): AmazonMQRabbitMQMessage {
  const raw = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
  return {
    basicProperties: basicProperties({
      contentType: options.contentType ?? null,
      headers: options.headers ?? null,
      bodySize: raw.length,
    }),
    redelivered: false,
    data: raw.toString("base64"),
  };
}

/** An agent message with the given body and delivery tag. */
export function message(
  body: string | Uint8Array,
  deliveryTag: string,
  options: MessageOptions = {},
): RabbitMQMessage {
  return {
    ...amazonMessage(body, options),
    exchange: options.exchange ?? "orders",
    routingKey: options.routingKey ?? "order.created",
    deliveryTag,
  };
}

/** A JSON message (content type application/json). */
export function jsonMessage(value: unknown, deliveryTag: string): RabbitMQMessage {
  return message(JSON.stringify(value), deliveryTag, { contentType: "application/json" });
}

/** An event, round-tripped through JSON like a real Lambda payload. */
export function event(rmqMessagesByQueue: Record<string, RabbitMQMessage[]>): RabbitMQEvent {
  return JSON.parse(
    JSON.stringify({ eventSource: "aws:rmq", eventSourceArn: "amqp://127.0.0.1:5672/", rmqMessagesByQueue }),
  );
}

export function amazonEvent(
  rmqMessagesByQueue: Record<string, AmazonMQRabbitMQMessage[]>,
): AmazonMQRabbitMQEvent {
  return JSON.parse(
    JSON.stringify({
      eventSource: "aws:rmq",
      eventSourceArn: "arn:aws:mq:us-east-1:123456789012:broker:b:b-1",
      rmqMessagesByQueue,
    }),
  );
}

/** The `{ bytes }` encoding of a string header. */
export const bytes = (text: string): { bytes: number[] } => ({ bytes: [...Buffer.from(text, "utf8")] });

/** Calls a middy handler typed for the parsed event with a raw event. */
export function invoke<TResult>(
  handler: (event: never, context: Context) => Promise<TResult>,
  rawEvent: RabbitMQEvent | AmazonMQRabbitMQEvent,
): Promise<TResult> {
  return handler(rawEvent as never, context);
}
