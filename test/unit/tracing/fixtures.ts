/** Messages and ids for the tracing tests (no OpenTelemetry SDK import: the SDK-loading probe uses it). */
import type { TracedMessage } from "../../../src/tracing/index.js";
import { fakeMessage } from "../amqp-fixtures.js";

export const NOW = Date.parse("2026-11-27T12:00:00Z");

/** A trace id X-Ray accepts at NOW (its first 8 hex digits are NOW in seconds), varied by `n`. */
export function plausibleTraceId(n = 1): string {
  return `${Math.floor(NOW / 1000).toString(16)}${n.toString(16).padStart(24, "0")}`;
}

/** A W3C trace id (random-looking, year 2010 as an X-Ray time: not plausible), varied by `n`. */
export function w3cTraceId(n = 1): string {
  return `4bf92f35${n.toString(16).padStart(24, "0")}`;
}

export const spanIdOf = (n: number) => n.toString(16).padStart(16, "a");

export const traceparent = (traceId: string, spanId: string, sampled = true) =>
  `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;

export interface MessageOptions {
  headers?: Record<string, unknown>;
  deliveryTag?: number;
  messageId?: string;
  correlationId?: string;
}

export function tracedMessage(options: MessageOptions = {}): TracedMessage {
  const properties: Record<string, unknown> = {};
  if (options.messageId !== undefined) properties.messageId = options.messageId;
  if (options.correlationId !== undefined) properties.correlationId = options.correlationId;
  return {
    message: fakeMessage({ headers: options.headers, deliveryTag: options.deliveryTag ?? 1, properties }),
    origin: { exchange: "orders", routingKey: "order.created" },
  };
}

export const decodeClientContext = (headers: Readonly<Record<string, string>> | undefined) =>
  JSON.parse(Buffer.from(headers?.["X-Amz-Client-Context"] ?? "", "base64").toString("utf8")).custom as {
    traceparent: string;
    tracestate?: string;
  };
