import type { ConsumeMessage, MessageProperties } from "amqplib";
import type {
  RabbitMQBasicProperties,
  RabbitMQEvent,
  RabbitMQHeaderValue,
  RabbitMQMessage,
} from "../middleware/event-types.js";

/** Where the messages of one invocation came from. */
export interface EventSource {
  queue: string;
  vhost: string;
  /** Broker address without credentials. */
  sourceArn: string;
}

const TIMESTAMP_FORMAT = new Intl.DateTimeFormat("en-US", {
  dateStyle: "medium",
  timeStyle: "medium",
  timeZone: "UTC",
});

/**
 * Builds the event Amazon MQ for RabbitMQ sends (`eventSource: "aws:rmq"`), with the exchange,
 * routing key and delivery tag of each message added, so handlers written for Amazon MQ run as they are.
 */
export function buildRmqEvent(messages: readonly ConsumeMessage[], source: EventSource): RabbitMQEvent {
  return {
    eventSource: "aws:rmq",
    eventSourceArn: source.sourceArn,
    rmqMessagesByQueue: { [`${source.queue}::${source.vhost}`]: messages.map(toEventMessage) },
  };
}

function toEventMessage(message: ConsumeMessage): RabbitMQMessage {
  return {
    basicProperties: toBasicProperties(message.properties, message.content.byteLength),
    redelivered: message.fields.redelivered,
    data: message.content.toString("base64"),
    exchange: message.fields.exchange,
    routingKey: message.fields.routingKey,
    deliveryTag: String(message.fields.deliveryTag),
  };
}

export function toBasicProperties(properties: MessageProperties, bodySize: number): RabbitMQBasicProperties {
  const text = (value: unknown) => (value === undefined || value === null ? null : String(value));
  const number = (value: unknown) => (typeof value === "number" ? value : null);
  return {
    contentType: text(properties.contentType),
    contentEncoding: text(properties.contentEncoding),
    headers: properties.headers ? encodeTable(properties.headers) : null,
    deliveryMode: number(properties.deliveryMode),
    priority: number(properties.priority),
    correlationId: text(properties.correlationId),
    replyTo: text(properties.replyTo),
    expiration: text(properties.expiration),
    messageId: text(properties.messageId),
    timestamp:
      typeof properties.timestamp === "number"
        ? TIMESTAMP_FORMAT.format(new Date(properties.timestamp * 1000))
        : null,
    type: text(properties.type),
    userId: text(properties.userId),
    appId: text(properties.appId),
    clusterId: text(properties.clusterId),
    bodySize,
  };
}

function encodeTable(table: Record<string, unknown>): Record<string, RabbitMQHeaderValue> {
  return Object.fromEntries(Object.entries(table).map(([key, value]) => [key, encodeHeaderValue(value)]));
}

/** Header values as AWS sends them: strings and byte strings as `{"bytes": [...]}`. */
export function encodeHeaderValue(value: unknown): RabbitMQHeaderValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return { bytes: [...Buffer.from(value, "utf8")] };
  if (Buffer.isBuffer(value)) return { bytes: [...value] };
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (Array.isArray(value)) return value.map(encodeHeaderValue);
  if (typeof value === "object") {
    // amqplib hands typed values as { type, value } (e.g. a decimal or a timestamp).
    const typed = value as { "!"?: unknown; type?: unknown; value?: unknown };
    if ("value" in typed && ("!" in typed || "type" in typed)) return encodeHeaderValue(typed.value);
    return encodeTable(value as Record<string, unknown>);
  }
  return String(value) as unknown as RabbitMQHeaderValue;
}

/**
 * The `"body"` event format: the message body itself is the payload, as KrakenD's Lambda backend
 * sends it. It must be JSON; anything else is a permanent failure of that message.
 */
export function bodyPayload(
  message: ConsumeMessage,
): { ok: true; payload: Uint8Array } | { ok: false; reason: string } {
  try {
    JSON.parse(message.content.toString("utf8"));
    return { ok: true, payload: message.content };
  } catch (error) {
    return { ok: false, reason: `event_format "body" needs a JSON body: ${(error as Error).message}` };
  }
}
