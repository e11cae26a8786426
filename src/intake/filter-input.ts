import type { ConsumeMessage } from "amqplib";
import type { Origin } from "../backends/backend.js";
import { toBasicProperties } from "../backends/lambda/event.js";
import type { FilterInput } from "../filter/index.js";
import type { MessageBody } from "./message-body.js";

/** Header tables nested deeper than this are left out of what filters see. */
const MAX_DEPTH = 32;

/**
 * What filter patterns match a message against: `{data, basicProperties, routingKey, exchange,
 * redelivered}`, where `data` is the body parsed as JSON (absent when it is not JSON) and header
 * values are decoded (a string header is a string, not the event's `{"bytes": [...]}`). Never throws.
 */
export function filterInput(
  message: ConsumeMessage,
  origin: Origin,
  body: MessageBody,
  readsData: boolean,
): FilterInput {
  const { headers, ...properties } = message.properties;
  let basicProperties: Record<string, unknown>;
  try {
    basicProperties = {
      ...toBasicProperties({ ...properties, headers: undefined }, message.content.byteLength),
    };
  } catch {
    basicProperties = {};
  }
  basicProperties.headers = headers ? decodeTable(headers, 1) : null;
  const input: FilterInput = {
    basicProperties,
    routingKey: origin.routingKey,
    exchange: origin.exchange,
    redelivered: message.fields.redelivered,
  };
  if (readsData && body.isJson) input.data = body.json();
  return input;
}

function decodeTable(table: object, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(table)) {
    const value = decodeValue((table as Record<string, unknown>)[key], depth + 1);
    if (value !== undefined)
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function decodeValue(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value !== "object" || depth > MAX_DEPTH) return undefined;
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (Array.isArray(value)) return value.map((item) => decodeValue(item, depth + 1) ?? null);
  const typed = value as { "!"?: unknown; value?: unknown };
  if (Object.hasOwn(typed, "!") && Object.hasOwn(typed, "value") && Object.keys(typed).length === 2) {
    return decodeValue(typed.value, depth + 1);
  }
  return decodeTable(value, depth);
}
