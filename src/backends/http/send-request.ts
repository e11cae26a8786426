import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import { toError } from "../../errors.js";
import type { NoResponse } from "./http-failure.js";

/** The most response body kept (RabbitMQ 4's largest message): past it the body is dropped, not the outcome. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface WireRequest {
  /** `scheme://host[:port]`. */
  origin: string;
  /** Path and query, as sent. */
  path: string;
  method: string;
  headers: Record<string, string> | string[];
  body: Uint8Array;
  timeoutMs: number;
}

export interface WireResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** `undefined` when empty, or over `MAX_RESPONSE_BYTES`. */
  body: Uint8Array | undefined;
}

export type WireResult = { response: WireResponse } | { noResponse: NoResponse };

/**
 * Sends one request and reads its whole response; resolves, never rejects. One timer bounds the
 * attempt (connecting, sending, waiting, reading the body); when it fires, or `closing` aborts,
 * the request is aborted and its connection closed.
 */
export async function sendRequest(
  dispatcher: Dispatcher,
  request: WireRequest,
  closing: AbortSignal,
): Promise<WireResult> {
  if (closing.aborted) return { noResponse: { cause: "closed" } };
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, request.timeoutMs);
  const onClose = () => abort.abort();
  closing.addEventListener("abort", onClose, { once: true });
  try {
    const { origin, path, method, headers, body } = request;
    const response = await dispatcher.request({ origin, path, method, headers, body, signal: abort.signal });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
    }
    const whole = size > 0 && size <= MAX_RESPONSE_BYTES ? Buffer.concat(chunks, size) : undefined;
    return { response: { status: response.statusCode, headers: response.headers, body: whole } };
  } catch (error) {
    if (timedOut) return { noResponse: { cause: "timeout", timeoutMs: request.timeoutMs } };
    if (closing.aborted) return { noResponse: { cause: "closed" } };
    return { noResponse: { cause: "error", error: toError(error) } };
  } finally {
    clearTimeout(timer);
    closing.removeEventListener("abort", onClose);
  }
}
