import type { InvokeFailure, InvokeFailureKind } from "./invoke/types.js";

const NON_RETRYABLE: Record<string, InvokeFailureKind> = {
  ResourceNotFoundException: "not_found",
  AccessDeniedException: "access_denied",
  UnrecognizedClientException: "access_denied",
  InvalidSignatureException: "access_denied",
  ExpiredTokenException: "access_denied",
  KMSAccessDeniedException: "access_denied",
  RequestTooLargeException: "too_large",
  InvalidRequestContentException: "bad_request",
  InvalidParameterValueException: "bad_request",
  ValidationException: "bad_request",
};

const THROTTLED = new Set([
  "TooManyRequestsException",
  "ThrottlingException",
  "EC2ThrottledException",
  "ResourceConflictException",
]);

/** Classifies an error thrown by the SDK's `send(new InvokeCommand(...))`. */
export function classifyInvokeError(
  error: Error & { $metadata?: { httpStatusCode?: number } },
  durationMs: number,
): InvokeFailure {
  const errorType = error.name || "Error";
  const message = error.message;
  const fixed = NON_RETRYABLE[errorType];
  if (fixed) return { kind: fixed, errorType, message, durationMs };
  if (THROTTLED.has(errorType) || error.$metadata?.httpStatusCode === 429) {
    return { kind: "throttled", errorType, message, durationMs };
  }
  if (errorType === "AbortError" || errorType === "TimeoutError") {
    return { kind: "timeout", errorType: "InvokeTimeout", message, durationMs };
  }
  const status = error.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return { kind: "server_error", errorType, message, durationMs };
  if (status !== undefined && status >= 400) {
    const accessDenied = status === 401 || status === 403;
    return {
      kind: accessDenied ? "access_denied" : "bad_request",
      errorType,
      message,
      durationMs,
    };
  }
  return { kind: "network", errorType, message, durationMs };
}

/** A 200 response with `FunctionError` set: the function threw (or returned an error). */
export function functionErrorOutcome(
  functionError: string,
  payload: Uint8Array | undefined,
  durationMs: number,
): InvokeFailure {
  let errorType = functionError;
  let message = "the function returned an error";
  try {
    const body = JSON.parse(Buffer.from(payload ?? new Uint8Array()).toString("utf8")) as {
      errorType?: unknown;
      errorMessage?: unknown;
    };
    if (typeof body.errorType === "string") errorType = body.errorType;
    if (typeof body.errorMessage === "string") message = body.errorMessage;
  } catch {
    // The payload is not JSON: keep the generic description.
  }
  return { kind: "function_error", errorType, message, durationMs };
}
