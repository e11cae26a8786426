import { type InvokeFailure, type InvokeFailureKind, MAX_SYNC_PAYLOAD_BYTES } from "./types.js";

/**
 * What is known about a failed call, whichever client made it: the error type (Lambda's
 * `x-amzn-errortype`, the SDK exception name, a Node.js socket error code), the HTTP status when a
 * response arrived, and the throttling `Reason`. Both invoke paths reduce their failures to this, so
 * one table classifies them both.
 */
export interface FailureEvidence {
  errorType: string;
  message: string;
  httpStatus?: number;
  reason?: string;
  /** The attempt ran past its timeout (the invoker's own timer fired). */
  timedOut?: boolean;
}

const KIND_BY_ERROR_TYPE = new Map<string, InvokeFailureKind>([
  // Transient capacity limits. ResourceConflictException (409) means the function is being updated
  // (a deployment in progress): it clears by itself, so it is treated as throttling, not as a bad request.
  ["TooManyRequestsException", "throttled"],
  ["ThrottlingException", "throttled"],
  ["ThrottledException", "throttled"],
  ["EC2ThrottledException", "throttled"],
  ["ResourceConflictException", "throttled"],
  ["ResourceNotFoundException", "not_found"],
  ["AccessDeniedException", "access_denied"],
  ["KMSAccessDeniedException", "access_denied"],
  // The caller's identity: missing, expired, or rejected credentials.
  ["UnrecognizedClientException", "credentials"],
  ["InvalidSignatureException", "credentials"],
  ["SignatureDoesNotMatch", "credentials"],
  ["IncompleteSignature", "credentials"],
  ["ExpiredTokenException", "credentials"],
  ["ExpiredToken", "credentials"],
  ["InvalidClientTokenId", "credentials"],
  ["InvalidAccessKeyId", "credentials"],
  ["MissingAuthenticationToken", "credentials"],
  ["CredentialsProviderError", "credentials"],
  ["RequestTooLargeException", "too_large"],
  ["SerializedRequestEntityTooLargeException", "too_large"],
  ["InvalidRequestContentException", "bad_request"],
  ["InvalidParameterValueException", "bad_request"],
  ["ValidationException", "bad_request"],
  ["UnsupportedMediaTypeException", "bad_request"],
  ["ServiceException", "server_error"],
  ["ENILimitReachedException", "server_error"],
]);

function kindOfStatus(status: number): InvokeFailureKind {
  if (status === 429) return "throttled";
  if (status === 413) return "too_large";
  if (status === 401 || status === 403) return "access_denied";
  if (status >= 400 && status < 500) return "bad_request";
  return "server_error";
}

/**
 * The one classification of a failed Invoke call: first the error type (so a 502
 * `EC2ThrottledException` is throttling), then the HTTP status; with no response at all, the
 * network. A timeout is reported as `InvokeTimeout` whatever the client called it.
 */
export function classifyFailure(evidence: FailureEvidence, durationMs: number): InvokeFailure {
  const { errorType, message, httpStatus, reason } = evidence;
  const failure: InvokeFailure = { kind: "network", errorType, message, durationMs };
  if (httpStatus !== undefined) failure.httpStatus = httpStatus;
  if (reason !== undefined) failure.reason = reason;
  if (evidence.timedOut) {
    failure.kind = "timeout";
    failure.errorType = "InvokeTimeout";
    return failure;
  }
  const kind = KIND_BY_ERROR_TYPE.get(errorType);
  if (kind) failure.kind = kind;
  else if (httpStatus !== undefined) failure.kind = kindOfStatus(httpStatus);
  return failure;
}

/** The longest error type and message kept from a function's error payload. */
const MAX_TYPE_CHARS = 256;
const MAX_MESSAGE_CHARS = 4096;

/**
 * A 200 response with `X-Amz-Function-Error` (`Unhandled` or `Handled`): the function failed. Its
 * payload is the runtime's error object (`errorType`, `errorMessage`) when it is JSON.
 */
export function functionErrorOutcome(
  functionError: string,
  payload: Uint8Array | undefined,
  durationMs: number,
): InvokeFailure {
  let errorType = functionError;
  let message = `the function failed (${functionError}) without a JSON error payload`;
  const body = parseJsonObject(payload);
  if (body) {
    if (typeof body.errorType === "string") errorType = body.errorType.slice(0, MAX_TYPE_CHARS);
    if (typeof body.errorMessage === "string") message = body.errorMessage.slice(0, MAX_MESSAGE_CHARS);
  }
  return { kind: "function_error", errorType, message, durationMs };
}

/** A payload over Lambda's synchronous limit is refused here, without a call. */
export function payloadTooLargeOutcome(byteLength: number): InvokeFailure {
  return {
    kind: "too_large",
    errorType: "PayloadTooLarge",
    message: `payload of ${byteLength} bytes is over Lambda's ${MAX_SYNC_PAYLOAD_BYTES}-byte synchronous limit`,
    durationMs: 0,
  };
}

export const CLOSED_EVIDENCE: FailureEvidence = {
  errorType: "InvokerClosed",
  message: "the invoker is closed: the call was not made or not completed",
};

/** The JSON object in `bytes`; `{}` when empty; undefined when it is not a JSON object. */
export function parseJsonObject(bytes: Uint8Array | undefined): Record<string, unknown> | undefined {
  if (!bytes || bytes.byteLength === 0) return {};
  try {
    const value: unknown = JSON.parse(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(),
    );
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
