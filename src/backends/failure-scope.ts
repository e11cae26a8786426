import type { Failure, FailureScope } from "./backend.js";

export type { Failure, FailureScope } from "./backend.js";

/** Whose failure it is (see `FailureScope`): one table for every backend. */
export function failureScope(failure: Pick<Failure, "kind" | "errorType">): FailureScope {
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
