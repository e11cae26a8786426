import { isPlainObject } from "../../shared/is-plain-object.js";
import type { BackendResponse } from "../backend.js";

const JSON_RESPONSE = "application/json";
const EMPTY: BackendResponse = { body: undefined, contentType: JSON_RESPONSE };
const NONE: BackendResponse = { body: undefined, contentType: JSON_RESPONSE, withoutReply: true };

/**
 * Each message's reply from a function's response, by delivery tag. With `wholePayload` (one
 * message per invocation, or `event_format: body`) the payload as returned, unless it is an object
 * with a `replies` list; otherwise only `replies` entries count (`{"itemIdentifier", "body",
 * "headers"}`; `body` sent as `JSON.stringify(body)`), and a message without one gets no reply.
 * `null` (or nothing) is an empty body.
 */
export function repliesOf(
  payload: Uint8Array | undefined,
  tags: readonly string[],
  wholePayload: boolean,
): Map<string, BackendResponse> {
  const parsed = parse(payload);
  const listed = isPlainObject(parsed.value) && Array.isArray(parsed.value.replies);
  const replies = new Map<string, BackendResponse>();
  if (wholePayload && !listed) {
    const whole = parsed.value === null ? EMPTY : { body: payload, contentType: JSON_RESPONSE };
    for (const tag of tags) replies.set(tag, whole);
    return replies;
  }
  const entries = listed ? ((parsed.value as { replies: unknown[] }).replies ?? []) : [];
  const wanted = new Set(tags);
  for (const entry of entries) {
    if (!isPlainObject(entry)) continue;
    const id = entry.itemIdentifier;
    const tag = typeof id === "number" ? `${id}` : id;
    if (typeof tag !== "string" || !wanted.has(tag) || replies.has(tag)) continue;
    replies.set(tag, entryResponse(entry));
  }
  for (const tag of tags) if (!replies.has(tag)) replies.set(tag, NONE);
  return replies;
}

function entryResponse(entry: Record<string, unknown>): BackendResponse {
  const body = entry.body;
  const response: BackendResponse = {
    body: body === null || body === undefined ? undefined : Buffer.from(JSON.stringify(body), "utf8"),
    contentType: JSON_RESPONSE,
  };
  const headers = primitiveHeaders(entry.headers);
  if (headers) response.headers = headers;
  return response;
}

/** The string, number and boolean values of a `headers` object (anything else is left out). */
function primitiveHeaders(value: unknown): Record<string, string | number | boolean> | undefined {
  if (!isPlainObject(value)) return undefined;
  const headers: Record<string, string | number | boolean> = {};
  for (const [name, item] of Object.entries(value)) {
    if (typeof item === "string" || typeof item === "number" || typeof item === "boolean")
      headers[name] = item;
  }
  return headers;
}

/** The payload as JSON: `value` is `null` for an empty payload, `undefined` when it is not JSON. */
function parse(payload: Uint8Array | undefined): { value: unknown } {
  if (!payload || payload.byteLength === 0) return { value: null };
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("utf8");
  if (text.trim() === "") return { value: null };
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { value: undefined };
  }
}
