import type { InvokeFailure } from "../lambda/invoke/index.js";

/** Why a message did not succeed: an Invoke failure, or one the agent found before or after the call. */
export type Failure =
  | InvokeFailure
  | {
      /** The message cannot be sent (not JSON with `event_format: body`, headers it cannot carry). */
      kind: "bad_message" | "item_failure" | "invalid_response";
      errorType: string;
      message: string;
      durationMs: number;
    };

/**
 * Whose failure it is:
 * - `message`: this message's own, for good (a body that is not JSON, a payload over 6 MB): no retry;
 * - `systemic`: the platform's (throttling, 5xx, network, a missing function, access or credentials):
 *   never charged to the message, never dead-lettered; it feeds the circuit breaker;
 * - `ambiguous`: a function error or a timeout: charged as an attempt while the circuit is closed,
 *   and a systemic failure when it hits many different messages at once.
 */
export type FailureScope = "message" | "systemic" | "ambiguous";

export function failureScope(failure: Failure): FailureScope {
  switch (failure.kind) {
    case "bad_message":
    case "too_large":
      return "message";
    case "bad_request":
      // The payload could not be read: this message's. Any other 4xx is the call's setup (qualifier, name).
      return failure.errorType === "InvalidRequestContentException" ? "message" : "systemic";
    case "function_error":
    case "timeout":
    case "item_failure":
    case "invalid_response":
      return "ambiguous";
    default:
      return "systemic";
  }
}
