import { CALL_FAILURE_KINDS } from "../backends/backend.js";

/** Invocation outcomes as labels: one per kind of call result. */
export const RESULTS = ["ok", ...CALL_FAILURE_KINDS] as const;

export type InvocationResult = (typeof RESULTS)[number];

/** A call outcome as its label: an outcome of no call (a message-level kind) counts as `bad_request`. */
export function invocationResult(kind: string): InvocationResult {
  return (RESULTS as readonly string[]).includes(kind) ? (kind as InvocationResult) : "bad_request";
}
