import type { ConsumeMessage } from "amqplib";

/** Where a message was first published (a trip through the agent's retry queues undone). */
export interface Origin {
  exchange: string;
  routingKey: string;
}

/** A message as a backend sees it: the delivery, and where it was first published. */
export interface OutgoingMessage {
  /** Unique within the process. Backends may key per-message state on the object itself (a WeakMap). */
  readonly id: number;
  readonly message: ConsumeMessage;
  readonly origin: Origin;
  /** With several backends: the ones (by index) that want it (its filters); `undefined`: all. */
  readonly backendsWanted?: ReadonlySet<number> | undefined;
  /** With several backends: the ones (by index) it already succeeded on; a retry calls the others. */
  readonly backendsDone?: Set<number>;
}

/**
 * The kinds of failure of a call, one list for every backend. Each backend maps what it sees onto these (the
 * Lambda path from error types and statuses, an HTTP backend from statuses and socket errors), so
 * `failureScope` decides for both.
 */
export const CALL_FAILURE_KINDS = [
  "function_error",
  "throttled",
  "timeout",
  "network",
  "server_error",
  "not_found",
  "access_denied",
  "credentials",
  "too_large",
  "bad_request",
] as const;

/** Every kind of failure: a call's (above) and a single message's (below). */
export const FAILURE_KINDS = [
  ...CALL_FAILURE_KINDS,
  /** The message cannot be sent (not JSON with `event_format: body`, headers it cannot carry). */
  "bad_message",
  /** The function reported this message of the batch as failed. */
  "item_failure",
  /** The response could not be read (a partial-batch response that is not one). */
  "invalid_response",
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Why a message did not succeed. */
export interface Failure {
  kind: FailureKind;
  errorType: string;
  message: string;
  durationMs: number;
  httpStatus?: number;
  /** A throttling reason, e.g. ReservedFunctionConcurrentInvocationLimitExceeded. */
  reason?: string;
}

/**
 * Whose failure it is:
 * - `message`: this message's own, for good (a body that is not JSON, a payload over the limit): no retry;
 * - `systemic`: the platform's (throttling, 5xx, network, a missing function, access or credentials):
 *   never charged to the message, never dead-lettered; it feeds the circuit breaker;
 * - `ambiguous`: a function error or a timeout: charged as an attempt while the circuit is closed,
 *   and a systemic failure when it hits many different messages at once.
 */
export type FailureScope = "message" | "systemic" | "ambiguous";

/** What a backend answered for a message that succeeded (the replies feature publishes it). */
export interface BackendResponse {
  /** The reply's bytes (`undefined`: an empty body). */
  body: Uint8Array | undefined;
  contentType: string | undefined;
  /** Headers the function asked for on its reply (a `replies` entry's `headers`). */
  headers?: Record<string, string | number | boolean>;
  /** The function gave no reply for this message (a batch without a `replies` entry for it). */
  withoutReply?: boolean;
}

/** What one call came to for one of its messages. */
export type MessageOutcome =
  | { kind: "succeeded"; response: BackendResponse }
  | { kind: "failed"; failure: Failure; scope: FailureScope }
  /** The backend refused the batch as too large: its messages go again in smaller batches. */
  | { kind: "split" };

/** The call itself, when one was made: what the circuit breaker and the concurrency limit learn from it. */
export interface CallReport {
  /** `"ok"`, or the failure kind of the call as a whole (a metrics label). */
  outcome: "ok" | FailureKind;
  /** The call's failure, when the call as a whole failed, and its scope. */
  failure: Failure | undefined;
  scope: FailureScope | undefined;
  /** A short text for logs and the breaker: the error type, and its reason. */
  reason: string;
  /** `performance.now()` when the call started (after any rate limit). */
  startedAt: number;
  /** How long the call took; `undefined` when it was refused before it was sent. */
  durationMs: number | undefined;
  /** A `Retry-After` the platform asked for (throttling), in milliseconds. */
  retryAfterMs?: number;
  /** Which backend made the call, when the backend sending is several (`Backend.label` of the one). */
  backend?: string;
  /** The id the platform gave the request (Lambda's `x-amzn-RequestId`), for the tracing CLIENT span. */
  requestId?: string;
  /** The HTTP status of a successful HTTP backend request, for the tracing CLIENT span (a failure's is in `failure`). */
  httpStatus?: number;
}

export interface SendReport {
  /** One outcome per message sent, by `OutgoingMessage.id`. */
  results: Map<number, MessageOutcome>;
  call: CallReport | undefined;
  /** Several backends: every call made, each with its `backend` (metrics count them all). */
  calls?: CallReport[];
}

/** What one call goes to, as a tracing CLIENT span names it (it also decides the trace headers sent). */
export type CallTarget =
  | { kind: "lambda"; functionName: string }
  /** `url` without credentials (it becomes `url.full`); `address` its host name (`server.address`; read from `url` when absent). */
  | { kind: "http"; method: string; url: string; address?: string };

/** One call's part of the trace: the headers that carry it, of the kind its target needs. */
export interface TracedCall {
  /** Headers to add to the request; `undefined` when there is no trace context to send. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** Called once when the call is over, with its report (`undefined`: no call was made after all). */
  end(report: CallReport | undefined): void;
}

/**
 * The trace of one `send`: every request a backend makes (each backend of several, each HTTP request
 * of a batch) starts a call of its own, with its own target, so it gets its own headers and span.
 */
export interface SendTrace {
  startCall(target: CallTarget): TracedCall;
}

/** What the pipeline adds to a send (the tracing feature). */
export interface SendExtras {
  trace?: SendTrace;
}

/**
 * A place messages are sent to: a Lambda function, or an HTTP endpoint. The pipeline never asks
 * which. `send` never throws: every message of the batch gets an outcome (unless the call as a
 * whole is reported in `call` and every message failed with it).
 */
export interface Backend {
  /** The metrics label: the function name, or `METHOD host+url_pattern` with credentials masked. */
  readonly label: string;
  /** Every label calls may report (several backends: each one's). */
  readonly labels?: readonly string[];
  /** Most messages per call (`batch_size`), and the longest wait to fill a batch (`batch_window`). */
  readonly batchSize: number;
  readonly batchWindowMs: number;
  /** In-process retries of a message's own failures (`max_retries`). */
  readonly maxRetries: number;
  /** Bytes one call may carry in all, and a message's share of them (batch selection). */
  readonly maxBatchBytes: number;
  sizeOf(message: OutgoingMessage): number;
  send(batch: readonly OutgoingMessage[], extras?: SendExtras): Promise<SendReport>;
  /**
   * The message is no longer held by this delivery (acked, rejected, handed back, its copy
   * confirmed, its channel lost): what the backend keeps for it may go (an uploaded payload).
   */
  released?(message: OutgoingMessage): void;
  /** Releases sockets (after the work `released` started, such as deletes); later calls fail as `network`. */
  close(): void | Promise<void>;
}
