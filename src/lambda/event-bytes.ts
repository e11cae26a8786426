import type { ConsumeMessage } from "amqplib";
import { type EventSource, type Origin, queueKey, toBasicProperties } from "./event.js";

/**
 * The `aws:rmq` event as bytes, built once per message: each message's JSON is encoded when it
 * first joins a batch (its base64 body written straight into that buffer) and reused for every
 * attempt; an invocation's payload is the list of chunks (envelope, messages, separators), sent
 * without concatenating them. Parses to exactly what `buildRmqEvent` makes.
 */
export interface EventEnvelope {
  head: Buffer;
  tail: Buffer;
}

const COMMA = Buffer.from(",");

export function eventEnvelope(source: EventSource): EventEnvelope {
  const head = `{"eventSource":"aws:rmq","eventSourceArn":${JSON.stringify(source.sourceArn)},"rmqMessagesByQueue":{${JSON.stringify(queueKey(source))}:[`;
  return { head: Buffer.from(head), tail: Buffer.from("]}}") };
}

/** One message of the event as JSON bytes. Throws `UnrepresentableMessageError` for headers it cannot carry. */
export function encodeEventMessage(message: ConsumeMessage, origin?: Origin): Buffer {
  const properties = JSON.stringify(toBasicProperties(message.properties, message.content.byteLength));
  const head = `{"basicProperties":${properties},"redelivered":${message.fields.redelivered ? "true" : "false"},"data":"`;
  const tail = `","exchange":${JSON.stringify(origin?.exchange ?? message.fields.exchange)},"routingKey":${JSON.stringify(origin?.routingKey ?? message.fields.routingKey)},"deliveryTag":"${message.fields.deliveryTag}"}`;
  const headBytes = Buffer.byteLength(head);
  const dataBytes = base64Length(message.content.byteLength);
  const out = Buffer.allocUnsafe(headBytes + dataBytes + Buffer.byteLength(tail));
  let at = out.write(head, 0, "utf8");
  at += out.write(message.content.toString("base64"), at, "latin1");
  out.write(tail, at, "utf8");
  return out;
}

/** The chunks of one invocation's payload and their total size. */
export function eventPayload(
  envelope: EventEnvelope,
  messages: readonly Buffer[],
): { chunks: Buffer[]; byteLength: number } {
  const chunks: Buffer[] = [envelope.head];
  let byteLength = envelope.head.byteLength + envelope.tail.byteLength;
  messages.forEach((message, index) => {
    if (index > 0) {
      chunks.push(COMMA);
      byteLength += 1;
    }
    chunks.push(message);
    byteLength += message.byteLength;
  });
  chunks.push(envelope.tail);
  return { chunks, byteLength };
}

/** Bytes an encoded message adds to a payload (its JSON plus a separator). */
export function payloadShare(encoded: Buffer): number {
  return encoded.byteLength + 1;
}

function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}
