/** Headers the agent writes on the messages it publishes (dead letters, retries). */
export const AGENT_HEADERS = {
  errorType: "x-agent-error-type",
  errorMessage: "x-agent-error-message",
  /** Invocation attempts in all (every round through a retry queue included). */
  attempts: "x-agent-attempts",
  functionName: "x-agent-function",
  failedAt: "x-agent-failed-at",
  agent: "x-agent-name",
  exchange: "x-agent-original-exchange",
  routingKey: "x-agent-original-routing-key",
  queue: "x-agent-original-queue",
  expiration: "x-agent-original-expiration",
  userId: "x-agent-original-user-id",
  deliveryMode: "x-agent-original-delivery-mode",
  cc: "x-agent-original-cc",
  bcc: "x-agent-original-bcc",
  /** Round trips through the retry queues so far. */
  retryCount: "x-agent-retry-count",
  /** Times set aside behind the queue's tail after a failed circuit-breaker probe. */
  setAside: "x-agent-set-aside",
  /** Attempts charged in the current round, carried by a set-aside copy. */
  roundAttempts: "x-agent-round-attempts",
  /** With several backends: those (by index) a retry copy already succeeded on. */
  backendsDone: "x-agent-backends-done",
  /** Put back by `redrive`: its failures are not fresh evidence for the circuit breaker. */
  redriven: "x-agent-redriven",
  /** Original headers left out of a copy (too deep or too large to publish), and why. */
  headersTruncated: "x-agent-headers-truncated",
} as const;

/** A header of the message itself (a `__proto__` header table must not lend it inherited ones). */
export function ownHeader(headers: Record<string, unknown> | undefined, name: string): unknown {
  return headers && Object.hasOwn(headers, name) ? headers[name] : undefined;
}
