import type { ConsumeMessage } from "amqplib";
import type { Origin } from "../backend.js";
import { type EventSource, queueKey, toBasicProperties } from "./event.js";

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
/**
 * Body bytes base64-encoded per step: a multiple of 3, so the pieces join into the base64 of the
 * whole body. A step's string (32 KB) stays in V8's young generation; one string for a large body
 * (342 KB for 256 KB) lands in the large-object space, which only a full GC frees: with hundreds
 * of large messages in flight that garbage added tens of MB to the peak RSS.
 */
const BASE64_STEP = 24 * 1024;
/** Bodies from this size on are released once encoded (`releaseBody`); smaller ones are not worth a getter. */
const RELEASE_FROM_BYTES = 4096;

export function eventEnvelope(source: EventSource): EventEnvelope {
  const head = `{"eventSource":"aws:rmq","eventSourceArn":${JSON.stringify(source.sourceArn)},"rmqMessagesByQueue":{${JSON.stringify(queueKey(source))}:[`;
  return { head: Buffer.from(head), tail: Buffer.from("]}}") };
}

/**
 * One message of the event as JSON bytes. Throws `UnrepresentableMessageError` for headers it
 * cannot carry. `bodySize` (the properties' `bodySize`) defaults to the body's length; a claim
 * check's record gives the original body's.
 */
export function encodeEventMessage(
  message: ConsumeMessage,
  origin?: Origin,
  options: { bodySize?: number } = {},
): Buffer {
  const head = messageHead(message, options.bodySize ?? message.content.byteLength);
  const tail = messageTail(message, origin);
  const headBytes = Buffer.byteLength(head);
  const dataBytes = base64Length(message.content.byteLength);
  const out = Buffer.allocUnsafe(headBytes + dataBytes + Buffer.byteLength(tail));
  let at = out.write(head, 0, "utf8");
  at = writeBase64(out, at, message.content);
  out.write(tail, at, "utf8");
  return out;
}

/**
 * Bytes `encodeEventMessage` would make of a message, without encoding its body. Throws
 * `UnrepresentableMessageError` for headers it cannot carry.
 */
export function encodedMessageLength(message: ConsumeMessage, origin?: Origin): number {
  const bodyBytes = message.content.byteLength;
  return (
    Buffer.byteLength(messageHead(message, bodyBytes)) +
    base64Length(bodyBytes) +
    Buffer.byteLength(messageTail(message, origin))
  );
}

/**
 * Lets go of a message's body once `encoded` (its event JSON) holds it as base64: `message.content`
 * becomes a getter that decodes the same bytes back from `encoded`, for the rare reader after this
 * point (a retry or dead-letter copy). Without it a large message in flight is held twice, as the
 * body (amqplib's Buffer, or a view pinning a whole socket read) and as its event, 4/3 its size.
 */
export function releaseBody(message: ConsumeMessage, encoded: Buffer, origin?: Origin): void {
  const bodyBytes = message.content.byteLength;
  if (bodyBytes < RELEASE_FROM_BYTES) return;
  const end = encoded.byteLength - Buffer.byteLength(messageTail(message, origin));
  const start = end - base64Length(bodyBytes);
  Object.defineProperty(message, "content", {
    configurable: true,
    enumerable: true,
    get: () => Buffer.from(encoded.toString("latin1", start, end), "base64"),
  });
}

/** What precedes the base64 of the body in a message's JSON. */
function messageHead(message: ConsumeMessage, bodySize: number): string {
  const properties = JSON.stringify(toBasicProperties(message.properties, bodySize));
  return `{"basicProperties":${properties},"redelivered":${message.fields.redelivered ? "true" : "false"},"data":"`;
}

/** What follows the base64 of the body in a message's JSON. */
function messageTail(message: ConsumeMessage, origin: Origin | undefined): string {
  return `","exchange":${JSON.stringify(origin?.exchange ?? message.fields.exchange)},"routingKey":${JSON.stringify(origin?.routingKey ?? message.fields.routingKey)},"deliveryTag":"${message.fields.deliveryTag}"}`;
}

/** Writes the base64 of `body` into `out` at `at`, step by step; returns the offset after it. */
function writeBase64(out: Buffer, at: number, body: Buffer): number {
  const end = body.byteLength;
  for (let from = 0; from < end; from += BASE64_STEP) {
    at += out.write(body.toString("base64", from, Math.min(end, from + BASE64_STEP)), at, "latin1");
  }
  return at;
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
