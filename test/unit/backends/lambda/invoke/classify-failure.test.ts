import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  classifyFailure,
  type FailureEvidence,
  functionErrorOutcome,
} from "../../../../../src/backends/lambda/invoke/classify-failure.js";
import {
  errorResponseEvidence,
  thrownEvidence,
} from "../../../../../src/backends/lambda/invoke/failure-evidence.js";

const kindOf = (evidence: Partial<FailureEvidence>) =>
  classifyFailure({ errorType: "Error", message: "m", ...evidence }, 1).kind;

describe("classifyFailure", () => {
  const table: Array<[Partial<FailureEvidence>, string]> = [
    [{ errorType: "TooManyRequestsException", httpStatus: 429 }, "throttled"],
    [{ errorType: "Unknown", httpStatus: 429 }, "throttled"],
    [{ errorType: "ThrottlingException", httpStatus: 400 }, "throttled"],
    [{ errorType: "EC2ThrottledException", httpStatus: 502 }, "throttled"],
    [{ errorType: "ResourceConflictException", httpStatus: 409 }, "throttled"],
    [{ errorType: "ResourceNotFoundException", httpStatus: 404 }, "not_found"],
    [{ errorType: "AccessDeniedException", httpStatus: 403 }, "access_denied"],
    [{ errorType: "KMSAccessDeniedException", httpStatus: 502 }, "access_denied"],
    [{ errorType: "Unknown", httpStatus: 401 }, "access_denied"],
    [{ errorType: "UnrecognizedClientException", httpStatus: 403 }, "credentials"],
    [{ errorType: "InvalidSignatureException", httpStatus: 403 }, "credentials"],
    [{ errorType: "ExpiredTokenException", httpStatus: 403 }, "credentials"],
    [{ errorType: "ExpiredToken", httpStatus: 400 }, "credentials"],
    [{ errorType: "InvalidClientTokenId", httpStatus: 403 }, "credentials"],
    [{ errorType: "MissingAuthenticationToken", httpStatus: 403 }, "credentials"],
    [{ errorType: "CredentialsProviderError" }, "credentials"],
    [{ errorType: "RequestTooLargeException", httpStatus: 413 }, "too_large"],
    [{ errorType: "Unknown", httpStatus: 413 }, "too_large"],
    [{ errorType: "InvalidRequestContentException", httpStatus: 400 }, "bad_request"],
    [{ errorType: "InvalidParameterValueException", httpStatus: 400 }, "bad_request"],
    [{ errorType: "ValidationException", httpStatus: 400 }, "bad_request"],
    [{ errorType: "SomethingNew", httpStatus: 418 }, "bad_request"],
    [{ errorType: "ServiceException", httpStatus: 500 }, "server_error"],
    [{ errorType: "ENILimitReachedException", httpStatus: 502 }, "server_error"],
    [{ errorType: "Unknown", httpStatus: 503 }, "server_error"],
    [{ errorType: "ECONNREFUSED" }, "network"],
    [{ errorType: "ECONNRESET" }, "network"],
    [{ errorType: "EPIPE" }, "network"],
    [{ errorType: "ENOTFOUND" }, "network"],
    [{ errorType: "EAI_AGAIN" }, "network"],
    [{ errorType: "ERR_TLS_CERT_ALTNAME_INVALID" }, "network"],
    [{ errorType: "ConnectTimeout" }, "network"],
    [{ errorType: "ECONNRESET", timedOut: true }, "timeout"],
    // A type that only looks like an Object.prototype key is not found in the table.
    [{ errorType: "constructor", httpStatus: 400 }, "bad_request"],
  ];
  for (const [evidence, kind] of table) {
    it(`${evidence.errorType} ${evidence.httpStatus ?? ""}${evidence.timedOut ? " timed out" : ""} → ${kind}`, () => {
      assert.equal(kindOf(evidence), kind);
    });
  }

  it("keeps the status and the throttling Reason; a timeout is InvokeTimeout whatever its cause", () => {
    const evidence = {
      errorType: "TooManyRequestsException",
      message: "Rate Exceeded.",
      httpStatus: 429,
      reason: "CallerRateLimitExceeded",
    };
    assert.deepEqual(classifyFailure(evidence, 7), { kind: "throttled", ...evidence, durationMs: 7 });
    assert.equal(
      classifyFailure({ errorType: "TimeoutError", message: "m", timedOut: true }, 1).errorType,
      "InvokeTimeout",
    );
  });
});

describe("evidence", () => {
  it("reads an error response as the SDK does: header type before the body's code and __type", () => {
    const body = Buffer.from(
      '{"code":"Ignored","message":"slow down","Reason":"FunctionInvocationRateLimitExceeded"}',
    );
    assert.deepEqual(
      errorResponseEvidence(429, "TooManyRequestsException:http://internal.amazon.com/", body),
      {
        errorType: "TooManyRequestsException",
        message: "slow down",
        httpStatus: 429,
        reason: "FunctionInvocationRateLimitExceeded",
      },
    );
    assert.equal(
      errorResponseEvidence(400, undefined, Buffer.from('{"CODE":"ValidationException"}')).errorType,
      "ValidationException",
    );
    assert.equal(
      errorResponseEvidence(400, undefined, Buffer.from('{"__type":"com.amazon#ThrottlingException"}'))
        .errorType,
      "ThrottlingException",
    );
    assert.deepEqual(errorResponseEvidence(500, undefined, Buffer.alloc(0)), {
      errorType: "Unknown",
      message: "UnknownError",
      httpStatus: 500,
    });
  });

  it("reads the SDK's thrown errors: service exception, unparsable body, connection timeout, socket error", () => {
    const service = Object.assign(new Error("Rate Exceeded."), {
      name: "TooManyRequestsException",
      Reason: "ConcurrentInvocationLimitExceeded",
      $metadata: { httpStatusCode: 429 },
    });
    assert.deepEqual(thrownEvidence(service), {
      errorType: "TooManyRequestsException",
      message: "Rate Exceeded.",
      httpStatus: 429,
      reason: "ConcurrentInvocationLimitExceeded",
    });
    const unparsable = Object.assign(new SyntaxError("Unexpected token '<'"), {
      $metadata: { httpStatusCode: 502 },
      $response: { headers: { "x-amzn-errortype": "ServiceException" } },
    });
    assert.deepEqual(thrownEvidence(unparsable), {
      errorType: "ServiceException",
      message: "HTTP 502 response whose body is not JSON",
      httpStatus: 502,
    });
    const connectTimeout = Object.assign(new Error("no connection"), { name: "TimeoutError" });
    assert.equal(thrownEvidence(connectTimeout).errorType, "ConnectTimeout");
    // @smithy/node-http-handler renames ECONNRESET, EPIPE and ETIMEDOUT errors TimeoutError: the code wins.
    const reset = Object.assign(new Error("socket hang up"), { name: "TimeoutError", code: "ECONNRESET" });
    assert.equal(thrownEvidence(reset).errorType, "ECONNRESET");
  });

  it("a function error carries the function's own type and message, bounded", () => {
    const payload = Buffer.from(JSON.stringify({ errorType: "T".repeat(1000), errorMessage: "boom" }));
    const outcome = functionErrorOutcome("Unhandled", payload, 2);
    assert.ok(outcome.kind === "function_error");
    assert.equal(outcome.errorType.length, 256);
    assert.equal(outcome.message, "boom");
    assert.equal(functionErrorOutcome("Unhandled", Buffer.from("[1]"), 2).errorType, "Unhandled");
  });
});
