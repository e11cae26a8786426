import { createHash } from "node:crypto";
import type { ConsumeMessage } from "amqplib";
import type { Origin } from "../backends/backend.js";
import type { OrderKey } from "../config/types.js";
import type { MessageBody } from "./message-body.js";

/** The lane of messages whose key cannot be read: itself ordered. */
export const KEYLESS_LANE = "keyless";

/** Keys longer than this are hashed (a 60 KB header must not become a 60 KB map key). */
const MAX_KEY_LENGTH = 256;

/**
 * The ordering lane of a message (`consumer.order_key`): its routing key, a header, or a field of a
 * JSON body. A key that cannot be read (no such header, a body that is not JSON, a missing path, a
 * value that is not a string, number or boolean) puts the message in the keyless lane; never an error.
 */
export function orderLane(
  orderKey: OrderKey,
  message: ConsumeMessage,
  origin: Origin | undefined,
  body: MessageBody,
): string {
  switch (orderKey.from) {
    case "routing_key":
      return laneOf(origin?.routingKey ?? message.fields.routingKey);
    case "header": {
      const headers = message.properties.headers;
      if (!headers || !Object.hasOwn(headers, orderKey.name)) return KEYLESS_LANE;
      return laneOf(headers[orderKey.name]);
    }
    case "body": {
      let value = body.json();
      if (value === undefined) return KEYLESS_LANE;
      for (const part of orderKey.path) {
        if (
          value === null ||
          typeof value !== "object" ||
          Array.isArray(value) ||
          !Object.hasOwn(value, part)
        ) {
          return KEYLESS_LANE;
        }
        value = (value as Record<string, unknown>)[part];
      }
      return laneOf(value);
    }
  }
}

function laneOf(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = `s:${value}`;
  else if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    text = `v:${value}`;
  else if (Buffer.isBuffer(value)) text = `s:${value.toString("utf8")}`;
  else return KEYLESS_LANE;
  return text.length > MAX_KEY_LENGTH ? `h:${createHash("sha256").update(text).digest("base64")}` : text;
}
