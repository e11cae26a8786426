import { createHash } from "node:crypto";
import type { ConsumeMessage, Options } from "amqplib";
import type { BackendResponse, Origin } from "../backends/backend.js";
import type { ReplyConfig, RoutingKeyPart } from "../config/types.js";
import type { CopyTraceHeaders } from "../tracing/index.js";

/** The header naming the routing key the request was published with. */
export const REQUEST_ROUTING_KEY_HEADER = "x-agent-request-routing-key";
/** RabbitMQ's direct reply-to pseudo-queue: at-most-once, and a `mandatory` publish to it comes back. */
export const DIRECT_REPLY_TO_PREFIX = "amq.rabbitmq.reply-to";

const TRACE_HEADERS = ["traceparent", "tracestate"] as const;

/** One reply, ready to publish. */
export interface ReplyPublish {
  exchange: string;
  routingKey: string;
  content: Buffer;
  /** `mandatory` is set (false only for direct reply-to). */
  options: Options.Publish & { mandatory: boolean };
}

export interface ReplyInput {
  message: ConsumeMessage;
  /** Where the request was first published (a retry queue's trip undone). */
  origin: Origin;
  response: BackendResponse;
  /** The agent's trace headers for what it publishes on the message's behalf. */
  trace?: CopyTraceHeaders | undefined;
}

/**
 * The reply to publish for a message that succeeded, or `undefined`: the function gave none for it
 * (a batch without a `replies` entry), or, in `reply_to` mode, the message has no `reply_to`.
 * `message_id` comes from the input (never the delivery tag), so a reply published again after a
 * crash carries the same id.
 */
export function replyOf(config: ReplyConfig, input: ReplyInput): ReplyPublish | undefined {
  const { message, origin, response } = input;
  if (response.withoutReply) return undefined;
  const { properties } = message;
  let exchange = config.exchange;
  let routingKey: string;
  let mandatory = true;
  if (config.mode === "reply_to") {
    const replyTo = properties.replyTo;
    if (typeof replyTo !== "string" || replyTo === "") return undefined;
    exchange = "";
    routingKey = replyTo;
    mandatory = !replyTo.startsWith(DIRECT_REPLY_TO_PREFIX);
  } else {
    routingKey = renderRoutingKey(config.routingKey, message, origin);
  }
  const content = response.body
    ? Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength)
    : Buffer.alloc(0);
  const inputMessageId = nonEmpty(properties.messageId);
  const correlationId = nonEmpty(properties.correlationId) ?? inputMessageId;
  const options: ReplyPublish["options"] = {
    mandatory,
    persistent: config.persistent,
    messageId: inputMessageId ?? derivedMessageId(origin, correlationId, message.content),
    headers: {
      ...config.headers,
      ...response.headers,
      [REQUEST_ROUTING_KEY_HEADER]: origin.routingKey,
      ...(input.trace ?? inputTraceHeaders(message)),
    },
  };
  if (correlationId !== undefined) options.correlationId = correlationId;
  const contentType = config.contentType ?? response.contentType;
  if (contentType !== undefined) options.contentType = contentType;
  if (config.expirationMs !== undefined) options.expiration = String(config.expirationMs);
  return { exchange, routingKey, content, options };
}

/** The header naming the failure on an error reply. */
export const ERROR_TYPE_HEADER = "x-agent-error-type";

/**
 * The error reply for a message that was dead-lettered (`on_failure: "error_reply"`):
 * `{"error": {"type", "message", "attempts"}}` (JSON) with `x-agent-error-type`, on the reply's route.
 */
export function errorReplyOf(
  config: ReplyConfig,
  input: Omit<ReplyInput, "response">,
  failure: { errorType: string; message: string; attempts: number },
): ReplyPublish | undefined {
  if (config.onFailure !== "error_reply") return undefined;
  const { errorType, message, attempts } = failure;
  const body = Buffer.from(JSON.stringify({ error: { type: errorType, message, attempts } }), "utf8");
  const response = { body, contentType: "application/json", headers: { [ERROR_TYPE_HEADER]: errorType } };
  return replyOf({ ...config, contentType: undefined }, { ...input, response });
}

/** The first 32 hex digits of sha256(exchange ‖ routing key ‖ correlation id ‖ body). */
export function derivedMessageId(origin: Origin, correlationId: string | undefined, body: Buffer): string {
  return createHash("sha256")
    .update(origin.exchange)
    .update(origin.routingKey)
    .update(correlationId ?? "")
    .update(body)
    .digest("hex")
    .slice(0, 32);
}

/** `{{routing_key}}` is the input's; `{{header:NAME}}` a header's text, number or boolean ("" otherwise). */
export function renderRoutingKey(
  parts: readonly RoutingKeyPart[],
  message: ConsumeMessage,
  origin: Origin,
): string {
  let key = "";
  for (const part of parts) {
    if ("text" in part) key += part.text;
    else if (part.from === "routing_key") key += origin.routingKey;
    else key += headerText(message.properties.headers?.[part.name]);
  }
  return key;
}

function headerText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return `${value}`;
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  return "";
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Without the agent's own trace: the request's `traceparent`/`tracestate`, when it had them. */
function inputTraceHeaders(message: ConsumeMessage): Record<string, string> {
  const headers = message.properties.headers ?? {};
  const found: Record<string, string> = {};
  for (const name of TRACE_HEADERS) {
    const value = headers[name];
    if (typeof value === "string") found[name] = value;
  }
  return found;
}
