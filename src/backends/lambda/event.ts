import type { ConsumeMessage, MessageProperties } from "amqplib";
import type {
  RabbitMQBasicProperties,
  RabbitMQEvent,
  RabbitMQHeaderValue,
  RabbitMQMessage,
} from "../../event/rabbitmq-event.js";
import type { Origin } from "../backend.js";

/** Where the messages of one invocation came from. */
export interface EventSource {
  queue: string;
  vhost: string;
  /** Broker address without credentials. */
  sourceArn: string;
}

/** A header table nested deeper than this cannot be put in an event (or a dead letter) as it is. */
export const MAX_HEADER_DEPTH = 64;

/** A message the agent cannot represent in an event: it is dead-lettered, never invoked. */
export class UnrepresentableMessageError extends Error {
  override readonly name = "UnrepresentableMessage";
}

const TIMESTAMP_FORMAT = new Intl.DateTimeFormat("en-US", {
  dateStyle: "medium",
  timeStyle: "medium",
  timeZone: "UTC",
});

/**
 * Builds the event Amazon MQ for RabbitMQ sends (`eventSource: "aws:rmq"`), with the exchange,
 * routing key and delivery tag of each message added, so handlers written for Amazon MQ run as
 * they are. The agent sends the same event as bytes (`event-bytes.ts`); this is its reference.
 */
export function buildRmqEvent(
  messages: ReadonlyArray<{ message: ConsumeMessage; origin?: Origin | undefined }>,
  source: EventSource,
): RabbitMQEvent {
  return {
    eventSource: "aws:rmq",
    eventSourceArn: source.sourceArn,
    rmqMessagesByQueue: {
      [queueKey(source)]: messages.map(({ message, origin }) => toEventMessage(message, origin)),
    },
  };
}

/** `"<queue>::<vhost>"`, the key of `rmqMessagesByQueue`. */
export function queueKey(source: EventSource): string {
  return `${source.queue}::${source.vhost}`;
}

export function toEventMessage(message: ConsumeMessage, origin?: Origin): RabbitMQMessage {
  return {
    basicProperties: toBasicProperties(message.properties, message.content.byteLength),
    redelivered: message.fields.redelivered,
    data: message.content.toString("base64"),
    exchange: origin?.exchange ?? message.fields.exchange,
    routingKey: origin?.routingKey ?? message.fields.routingKey,
    deliveryTag: String(message.fields.deliveryTag),
  };
}

/** The properties as AWS sends them; unset ones are `null`. Throws `UnrepresentableMessageError`. */
export function toBasicProperties(properties: MessageProperties, bodySize: number): RabbitMQBasicProperties {
  return {
    contentType: text(properties.contentType),
    contentEncoding: text(properties.contentEncoding),
    headers: properties.headers ? encodeTable(properties.headers, 1) : null,
    deliveryMode: number(properties.deliveryMode),
    priority: number(properties.priority),
    correlationId: text(properties.correlationId),
    replyTo: text(properties.replyTo),
    expiration: text(properties.expiration),
    messageId: text(properties.messageId),
    timestamp:
      typeof properties.timestamp === "number" && Number.isFinite(properties.timestamp)
        ? formatTimestamp(properties.timestamp)
        : null,
    type: text(properties.type),
    userId: text(properties.userId),
    appId: text(properties.appId),
    clusterId: text(properties.clusterId),
    bodySize,
  };
}

function formatTimestamp(seconds: number): string | null {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? null : TIMESTAMP_FORMAT.format(date);
}

/** A property's text: strings as they are, numbers in decimal, anything else absent (never String(x)). */
function text(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return `${value}`;
  return null;
}

function number(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}

/** A header table at nesting level `depth`; own keys only (`__proto__`, `constructor` are ordinary keys). */
function encodeTable(table: object, depth: number): Record<string, RabbitMQHeaderValue> {
  if (depth > MAX_HEADER_DEPTH) {
    throw new UnrepresentableMessageError(
      `a header table is nested more than ${MAX_HEADER_DEPTH} levels deep`,
    );
  }
  return Object.fromEntries(
    Object.keys(table).map((key) => [key, encodeValue((table as Record<string, unknown>)[key], depth + 1)]),
  );
}

/** Header values as AWS sends them: strings and byte strings as `{"bytes": [...]}`. */
export function encodeHeaderValue(value: unknown): RabbitMQHeaderValue {
  return encodeValue(value, 1);
}

function encodeValue(value: unknown, depth: number): RabbitMQHeaderValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "string":
      return { bytes: [...Buffer.from(value, "utf8")] };
    case "number":
      return Number.isFinite(value) ? value : null;
    case "boolean":
      return value;
    case "bigint":
      return Number(value);
    case "object":
      break;
    default:
      throw new UnrepresentableMessageError(`a header holds a value of type ${typeof value}`);
  }
  if (Buffer.isBuffer(value)) return { bytes: [...value] };
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (Array.isArray(value)) {
    if (depth > MAX_HEADER_DEPTH) {
      throw new UnrepresentableMessageError(
        `a header array is nested more than ${MAX_HEADER_DEPTH} levels deep`,
      );
    }
    return value.map((item) => encodeValue(item, depth + 1));
  }
  // amqplib hands typed values as { "!": type, value } (a decimal, a timestamp).
  const typed = value as { "!"?: unknown; value?: unknown };
  if (Object.hasOwn(typed, "!") && Object.hasOwn(typed, "value") && Object.keys(typed).length === 2) {
    return encodeValue(typed.value, depth + 1);
  }
  return encodeTable(value, depth);
}

/**
 * The `"body"` event format: the message body itself is the payload, as KrakenD's Lambda backend
 * sends it. It must be UTF-8 JSON; anything else is a permanent failure of that message.
 */
export function bodyPayload(
  message: ConsumeMessage,
): { ok: true; payload: Uint8Array } | { ok: false; reason: string } {
  const text = decodeUtf8(message.content);
  if (text === undefined)
    return { ok: false, reason: 'event_format "body" needs a UTF-8 JSON body; it is not UTF-8' };
  try {
    JSON.parse(text);
    return { ok: true, payload: message.content };
  } catch (error) {
    return { ok: false, reason: `event_format "body" needs a JSON body: ${(error as Error).message}` };
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The body as text, or `undefined` when it is not valid UTF-8. */
export function decodeUtf8(content: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(content);
  } catch {
    return undefined;
  }
}
