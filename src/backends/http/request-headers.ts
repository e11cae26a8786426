import { HTTP_TOKEN, SAFE_HEADER_VALUE } from "../../config/http-backend-headers.js";
import type { OutgoingMessage } from "../backend.js";
import { forwardedHeaders } from "./forward-headers.js";
import type { HttpTarget } from "./http-target.js";

export interface HeaderSources {
  /** The static `headers` (checked at load time). */
  staticHeaders: Readonly<Record<string, string>>;
  forward: boolean;
}

/**
 * The headers of one request, lower-case names, each set once. Later sources win: the call's trace
 * headers, the static `headers`, the message's `content_type` (only when it has one, and only when
 * it is a plain header value: a publisher's CR/LF is dropped with it), the host's Basic
 * authorization, the forwarded `x-amqp-*` ones. The SigV4 signer adds its own after these.
 */
export function requestHeaders(
  outgoing: OutgoingMessage,
  target: HttpTarget,
  sources: HeaderSources,
  traceHeaders: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(traceHeaders ?? {})) {
    if (HTTP_TOKEN.test(name) && SAFE_HEADER_VALUE.test(value)) headers[name.toLowerCase()] = value;
  }
  for (const [name, value] of Object.entries(sources.staticHeaders)) headers[name.toLowerCase()] = value;
  const contentType: unknown = outgoing.message.properties.contentType;
  if (typeof contentType === "string" && contentType !== "" && SAFE_HEADER_VALUE.test(contentType)) {
    headers["content-type"] = contentType;
  }
  if (target.authorization) headers.authorization = target.authorization;
  if (sources.forward) {
    for (const [name, value] of forwardedHeaders(outgoing)) headers[name.toLowerCase()] = value;
  }
  return headers;
}
