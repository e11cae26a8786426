import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FAILURE_KINDS } from "../../../src/backends/backend.js";
import { type Failure, type FailureScope, failureScope } from "../../../src/backends/failure-scope.js";
import {
  classifyFailure,
  type FailureEvidence,
  functionErrorOutcome,
} from "../../../src/backends/lambda/invoke/classify-failure.js";

function failure(kind: Failure["kind"], errorType = "SomeError"): Failure {
  return { kind, errorType, message: "m", durationMs: 1 } as Failure;
}

describe("failureScope: every failure kind", () => {
  // Issue 10: a message's own failures (a body that cannot be sent, a payload over 6 MB) are
  // "message"; the platform's (throttling, 5xx, network, a missing function, access, credentials)
  // are "systemic"; a function error or timeout is "ambiguous" (poison, or an outage across messages).
  const table: Array<[Failure, FailureScope]> = [
    [failure("function_error", "TypeError"), "ambiguous"],
    [failure("timeout", "InvokeTimeout"), "ambiguous"],
    [failure("item_failure", "BatchItemFailure"), "ambiguous"],
    [failure("invalid_response", "InvalidBatchResponse"), "ambiguous"],
    [failure("throttled", "TooManyRequestsException"), "systemic"],
    [failure("network", "ECONNREFUSED"), "systemic"],
    [failure("server_error", "ServiceException"), "systemic"],
    [failure("not_found", "ResourceNotFoundException"), "systemic"],
    [failure("access_denied", "AccessDeniedException"), "systemic"],
    [failure("credentials", "ExpiredTokenException"), "systemic"],
    [failure("too_large", "RequestTooLargeException"), "message"],
    [failure("bad_request", "InvalidRequestContentException"), "message"],
    [failure("bad_request", "InvalidParameterValueException"), "systemic"],
    [failure("bad_request", "ValidationException"), "systemic"],
    [failure("bad_message", "InvalidJsonBody"), "message"],
    [failure("bad_message", "UnrepresentableMessage"), "message"],
  ];
  for (const [input, scope] of table) {
    it(`${input.kind} (${input.errorType}) is ${scope}`, () => assert.equal(failureScope(input), scope));
  }

  it("the table covers every kind there is", () => {
    const kinds = new Set(table.map(([input]) => input.kind));
    assert.deepEqual([...kinds].sort(), [...FAILURE_KINDS].sort());
  });
});

/** A failed call as both invoke paths report it: the error type and the HTTP status, if one came. */
const scopeOf = (evidence: FailureEvidence) => failureScope(classifyFailure(evidence, 5));
const scopeOfError = (errorType: string, httpStatus?: number) =>
  scopeOf(httpStatus === undefined ? { errorType, message: "m" } : { errorType, message: "m", httpStatus });

describe("failureScope of every error Lambda's Invoke can answer", () => {
  // The Invoke errors of @aws-sdk/client-lambda (InvokeCommand's @throws), with their HTTP status.
  const systemic: Array<[string, number]> = [
    ["CodeArtifactUserDeletedException", 409],
    ["CodeArtifactUserFailedException", 409],
    ["CodeArtifactUserPendingException", 409],
    ["DurableExecutionAlreadyStartedException", 409],
    ["EC2AccessDeniedException", 502],
    ["EC2ThrottledException", 502],
    ["EC2UnexpectedException", 502],
    ["EFSIOException", 410],
    ["EFSMountConnectivityException", 408],
    ["EFSMountFailureException", 403],
    ["EFSMountTimeoutException", 408],
    ["ENILimitReachedException", 502],
    ["ENINotReadyException", 502],
    ["InvalidParameterValueException", 400],
    ["InvalidRuntimeException", 502],
    ["InvalidSecurityGroupIDException", 502],
    ["InvalidSubnetIDException", 502],
    ["InvalidZipFileException", 502],
    ["KMSAccessDeniedException", 502],
    ["KMSDisabledException", 502],
    ["KMSInvalidStateException", 502],
    ["KMSNotFoundException", 502],
    ["ModeNotSupportedException", 400],
    ["NoPublishedVersionException", 400],
    ["RecursiveInvocationException", 400],
    ["ResourceConflictException", 409],
    ["ResourceNotFoundException", 404],
    ["ResourceNotReadyException", 502],
    ["S3FilesMountConnectivityException", 408],
    ["S3FilesMountFailureException", 403],
    ["S3FilesMountTimeoutException", 408],
    ["ServiceException", 500],
    ["ServiceQuotaExceededException", 402],
    ["SnapStartException", 400],
    ["SnapStartNotReadyException", 409],
    ["SnapStartRegenerationFailureException", 409],
    ["SnapStartTimeoutException", 408],
    ["SubnetIPAddressLimitReachedException", 502],
    ["TooManyRequestsException", 429],
    ["UnsupportedMediaTypeException", 415],
    // Errors of AWS in general (signing, credentials, throttling of the API), and an unknown 5xx.
    ["AccessDeniedException", 403],
    ["UnrecognizedClientException", 403],
    ["InvalidSignatureException", 403],
    ["ExpiredTokenException", 403],
    ["ThrottlingException", 400],
    ["SomeFutureServerError", 503],
  ];
  for (const [name, status] of systemic) {
    it(`${name} (${status}) is systemic`, () => assert.equal(scopeOfError(name, status), "systemic"));
  }

  const message: Array<[string, number]> = [
    ["InvalidRequestContentException", 400],
    ["RequestTooLargeException", 413],
    ["SerializedRequestEntityTooLargeException", 413],
    ["SomeFuturePayloadError", 413],
  ];
  for (const [name, status] of message) {
    it(`${name} (${status}) is the message's own`, () => assert.equal(scopeOfError(name, status), "message"));
  }

  it("errors without an HTTP answer (network, credentials) are systemic", () => {
    for (const name of [
      "ECONNREFUSED",
      "ECONNRESET",
      "ConnectTimeout",
      "CredentialsProviderError",
      "Error",
    ]) {
      assert.equal(scopeOfError(name), "systemic", name);
    }
  });

  it("a call past its timeout is ambiguous (a message that always times out is poison)", () => {
    assert.equal(scopeOf({ errorType: "AbortError", message: "m", timedOut: true }), "ambiguous");
  });

  it("a function error (200 with FunctionError) is ambiguous, whatever the function says", () => {
    for (const body of ['{"errorType":"Sandbox.Timedout","errorMessage":"timed out"}', "not json", ""]) {
      assert.equal(failureScope(functionErrorOutcome("Unhandled", Buffer.from(body), 3)), "ambiguous");
    }
  });
});
