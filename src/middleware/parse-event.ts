import type { AmazonMQRabbitMQMessage, RabbitMQEvent, RabbitMQMessage } from "../event/rabbitmq-event.js";
import { decodeBody } from "./decode-body.js";
import { decodeHeaders } from "./decode-headers.js";
import type { ParsedRabbitMQEvent, ParsedRabbitMQRecord } from "./parsed-event-types.js";

/**
 * Splits a `"<queue>::<vhost>"` key at its LAST `::` (queue names may contain `::`, vhosts should
 * not). A key without `::` is a queue name in the default vhost `"/"`.
 */
export function splitQueueKey(key: string): { queue: string; vhost: string } {
  const at = key.lastIndexOf("::");
  if (at === -1) return { queue: key, vhost: "/" };
  return { queue: key.slice(0, at), vhost: key.slice(at + 2) };
}

/** True when the event was already parsed (it has the flat `records` list). */
export function isParsedRabbitMQEvent<
  TBody = unknown,
  TMessage extends AmazonMQRabbitMQMessage = RabbitMQMessage,
>(
  event: RabbitMQEvent<TMessage> | ParsedRabbitMQEvent<TBody, TMessage>,
): event is ParsedRabbitMQEvent<TBody, TMessage> {
  return Array.isArray((event as { records?: unknown }).records);
}

function parseMessage(message: AmazonMQRabbitMQMessage, queue: string, vhost: string): ParsedRabbitMQRecord {
  const properties = message.basicProperties ?? null;
  const target = message as unknown as Record<string, unknown>;
  target.queue = queue;
  target.vhost = vhost;
  target.headers = decodeHeaders(properties?.headers);
  if (typeof message.data !== "string") {
    target.rawBody = Buffer.alloc(0);
    target.body = "";
    target.parseError = new Error(`message in queue "${queue}" has no base64 "data" field`);
  } else {
    target.rawBody = Buffer.from(message.data, "base64");
    Object.assign(target, decodeBody(target.rawBody as Buffer, properties?.contentType));
  }
  return message as ParsedRabbitMQRecord;
}

/**
 * Decodes every message of every queue IN PLACE and adds the flat `records` list, then returns
 * the same event object, typed as parsed. Idempotent: an event that already has `records` is
 * returned unchanged. Never throws for a bad message (its `parseError` is set instead); throws a
 * `TypeError` when the event has no `rmqMessagesByQueue` object or a queue entry is not an array.
 *
 * @typeParam TBody - the type you expect bodies to have (not checked at runtime).
 */
export function parseRabbitMQEvent<
  TBody = unknown,
  TMessage extends AmazonMQRabbitMQMessage = RabbitMQMessage,
>(
  event: RabbitMQEvent<TMessage> | ParsedRabbitMQEvent<TBody, TMessage>,
): ParsedRabbitMQEvent<TBody, TMessage> {
  if (isParsedRabbitMQEvent(event)) return event;
  const byQueue: unknown = (event as { rmqMessagesByQueue?: unknown } | null)?.rmqMessagesByQueue;
  if (typeof byQueue !== "object" || byQueue === null || Array.isArray(byQueue)) {
    throw new TypeError("not a RabbitMQ event: rmqMessagesByQueue is missing or not an object");
  }
  const records: ParsedRabbitMQRecord[] = [];
  for (const [key, messages] of Object.entries(byQueue)) {
    if (!Array.isArray(messages)) {
      throw new TypeError(`not a RabbitMQ event: rmqMessagesByQueue["${key}"] is not an array`);
    }
    const { queue, vhost } = splitQueueKey(key);
    for (const message of messages as AmazonMQRabbitMQMessage[])
      records.push(parseMessage(message, queue, vhost));
  }
  const parsed = event as unknown as ParsedRabbitMQEvent<TBody, TMessage>;
  parsed.records = records as ParsedRabbitMQRecord<TBody, TMessage>[];
  return parsed;
}

/**
 * The flat list of parsed records of an event (parsing it first if needed), in the order of
 * `rmqMessagesByQueue`. Same as `parseRabbitMQEvent(event).records`.
 */
export function recordsOf<TBody = unknown, TMessage extends AmazonMQRabbitMQMessage = RabbitMQMessage>(
  event: RabbitMQEvent<TMessage> | ParsedRabbitMQEvent<TBody, TMessage>,
): ParsedRabbitMQRecord<TBody, TMessage>[] {
  return parseRabbitMQEvent<TBody, TMessage>(event).records;
}
