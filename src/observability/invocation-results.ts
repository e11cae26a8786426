/** Invocation outcomes as labels: one per kind of Invoke result. */
export const RESULTS = [
  "ok",
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

export type InvocationResult = (typeof RESULTS)[number];

/** A call outcome as its label: an outcome of no call (a message-level kind) counts as `bad_request`. */
export function invocationResult(kind: string): InvocationResult {
  return (RESULTS as readonly string[]).includes(kind) ? (kind as InvocationResult) : "bad_request";
}
