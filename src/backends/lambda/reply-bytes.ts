import { isPlainObject } from "../../shared/is-plain-object.js";
import type { BackendResponse } from "../backend.js";
import { JSON_RESPONSE, responseJson } from "./batch-response.js";

const EMPTY: BackendResponse = { body: undefined, contentType: JSON_RESPONSE };
const NONE: BackendResponse = { body: undefined, contentType: JSON_RESPONSE, withoutReply: true };

/**
 * Each message's reply from a function's response, by delivery tag. With `wholePayload` (one
 * message per invocation, or `event_format: body`) the payload as returned, unless it is an object
 * with a `replies` list; otherwise only `replies` entries count (`{"itemIdentifier", "body",
 * "headers"}`; `body` sent as `JSON.stringify(body)`), and a message without one gets no reply.
 * `null` (or nothing) is an empty body. `json` is the payload already parsed by `responseJson`.
 */
export function repliesOf(
  payload: Uint8Array | undefined,
  tags: readonly string[],
  wholePayload: boolean,
  json: unknown = responseJson(payload),
): Map<string, BackendResponse> {
  const listed = isPlainObject(json) && Array.isArray(json.replies);
  const replies = new Map<string, BackendResponse>();
  if (wholePayload && !listed) {
    const whole = json === null ? EMPTY : { body: payload, contentType: JSON_RESPONSE };
    for (const tag of tags) replies.set(tag, whole);
    return replies;
  }
  const entries = listed ? ((json as { replies: unknown[] }).replies ?? []) : [];
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
