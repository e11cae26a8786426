import { toError } from "../../../shared/to-error.js";
import type { Failure, FailureKind } from "../../backend.js";

const THROTTLING = new Set(["SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded"]);
const CREDENTIALS = new Set([
  "CredentialsProviderError",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
]);

/** What an S3 request was for: named in the failure's message. */
export interface S3Request {
  operation: "upload" | "delete";
  bucket: string;
  key: string;
}

/**
 * An S3 error as a failure of the platform: recognised by the SDK's error names and HTTP status,
 * never by its text. Every kind here is systemic (`failureScope`): the body is not to blame, so
 * the message is never charged and never dead-lettered for it; the circuit breaker learns from it.
 * No kind is `timeout` (ambiguous, charged): a request that timed out is `network`.
 */
export function classifyS3Failure(thrown: unknown, request: S3Request, durationMs: number): Failure {
  const error = toError(thrown) as Error & { $metadata?: { httpStatusCode?: number }; Code?: unknown };
  const status = error.$metadata?.httpStatusCode;
  const name = typeof error.Code === "string" && error.Code !== "" ? error.Code : error.name;
  const failure: Failure = {
    kind: s3FailureKind(name, status),
    errorType: `S3.${name}`,
    message: `${request.operation === "upload" ? "uploading the body to" : "deleting"} s3://${request.bucket}/${request.key} failed: ${error.message}`,
    durationMs,
  };
  if (status !== undefined) failure.httpStatus = status;
  return failure;
}

function s3FailureKind(name: string, status: number | undefined): FailureKind {
  if (THROTTLING.has(name) || status === 429 || status === 503) return "throttled";
  if (CREDENTIALS.has(name)) return "credentials";
  if (status === undefined) return "network";
  if (status >= 500) return "server_error";
  if (status === 401 || status === 403) return "access_denied";
  if (status === 404) return "not_found";
  // Any other 4xx is the setup's (a bad key prefix, a KMS key): `bad_request` is systemic here too.
  return "bad_request";
}
