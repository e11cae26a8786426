import type { IncomingHttpHeaders } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Failure } from "../backend.js";
import { failureKindOfStatus } from "./classify-http-status.js";
import { parseRetryAfter } from "./retry-after.js";

/** How much of an error response's body is quoted in the failure's message. */
const QUOTED_BODY_CHARS = 256;

/** A failure with the `Retry-After` the server asked for, when it did. */
export interface HttpFailure {
  failure: Failure;
  retryAfterMs?: number;
}

/**
 * A response whose status is not success, classified by the status table. The message names the
 * status, the request and the start of the body (control characters replaced); a redirect also
 * names where it pointed.
 */
export function statusFailure(
  response: { status: number; headers: IncomingHttpHeaders; body: Uint8Array | undefined },
  request: string,
  durationMs: number,
  nowMs: number,
): HttpFailure {
  const { status, headers, body } = response;
  const kind = failureKindOfStatus(status);
  let message = `HTTP ${status} ${STATUS_CODES[status] ?? ""} from ${request}`.replace("  ", " ");
  if (kind === "not_found" && status < 400) {
    message += `: a redirect${typeof headers.location === "string" ? ` to ${printable(headers.location)}` : ""}, never followed; point host and url_pattern at the final URL`;
  }
  const quoted =
    body && body.byteLength > 0
      ? printable(Buffer.from(body).toString("utf8", 0, QUOTED_BODY_CHARS * 4))
      : "";
  if (quoted) message += `: ${quoted}`;
  const failure: Failure = {
    kind,
    errorType: `HttpStatus${status}`,
    message,
    durationMs,
    httpStatus: status,
  };
  const retryAfterMs =
    kind === "throttled" || kind === "server_error"
      ? parseRetryAfter(headers["retry-after"], nowMs)
      : undefined;
  return retryAfterMs === undefined ? { failure } : { failure, retryAfterMs };
}

/** What a request that got no response came to. */
export type NoResponse =
  | { cause: "timeout"; timeoutMs: number }
  | { cause: "closed" }
  | { cause: "credentials"; error: Error }
  | { cause: "error"; error: Error };

/**
 * A request without a response: its own timeout → `timeout`; credentials that could not be had →
 * `credentials`; anything else (refused or reset connections, DNS, TLS, the proxy, the backend being
 * closed) → `network`, typed by the socket's error code where there is one.
 */
export function noResponseFailure(what: NoResponse, request: string, durationMs: number): Failure {
  switch (what.cause) {
    case "timeout":
      return {
        kind: "timeout",
        errorType: "HttpTimeout",
        message: `${request} did not complete within ${what.timeoutMs} ms; its connection was closed`,
        durationMs,
      };
    case "closed":
      return {
        kind: "network",
        errorType: "BackendClosed",
        message: `the HTTP backend is closed: ${request} was not made or not completed`,
        durationMs,
      };
    case "credentials":
      return {
        kind: "credentials",
        errorType: what.error.name,
        message: `no AWS credentials to sign ${request}: ${what.error.message}`,
        durationMs,
      };
    case "error":
      return {
        kind: "network",
        errorType: errorCode(what.error),
        message: `${request}: ${what.error.message}`,
        durationMs,
      };
  }
}

/** undici's errors in the vocabulary of Node.js sockets: the socket's own code where there is one. */
function errorCode(error: Error): string {
  const { code, cause } = error as Error & { code?: unknown; cause?: unknown };
  const causeCode = (cause as { code?: unknown } | undefined)?.code;
  if (code === "UND_ERR_CONNECT_TIMEOUT") return "ConnectTimeout";
  if (code === "UND_ERR_SOCKET") return typeof causeCode === "string" ? causeCode : "ECONNRESET";
  if (typeof code === "string") return code;
  if (typeof causeCode === "string") return causeCode;
  return error.name;
}

/** Text safe to put in a log line: control characters become U+FFFD. */
function printable(text: string): string {
  return text.slice(0, QUOTED_BODY_CHARS).replace(/\p{Cc}/gu, "\ufffd");
}
