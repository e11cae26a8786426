import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyInvokeError, functionErrorOutcome } from "../../../src/lambda/invoke-outcome.js";

function sdkError(name: string, status?: number): Error {
  const error = new Error(`${name} happened`) as Error & { $metadata?: { httpStatusCode?: number } };
  error.name = name;
  if (status !== undefined) error.$metadata = { httpStatusCode: status };
  return error;
}

describe("classifyInvokeError", () => {
  const table: Array<[string, number | undefined, string, boolean]> = [
    ["ResourceNotFoundException", 404, "not_found", false],
    ["AccessDeniedException", 403, "access_denied", false],
    ["RequestTooLargeException", 413, "too_large", false],
    ["TooManyRequestsException", 429, "throttled", true],
    ["SomethingElse", 429, "throttled", true],
    ["ServiceException", 500, "server_error", true],
    ["AbortError", undefined, "timeout", true],
    ["TimeoutError", undefined, "timeout", true],
    ["ECONNREFUSED", undefined, "network", true],
    ["Unknown4xx", 400, "bad_request", false],
  ];
  for (const [name, status, kind, retryable] of table) {
    it(`${name} ${status ?? ""} → ${kind}`, () => {
      const outcome = classifyInvokeError(sdkError(name, status), 5);
      assert.equal(outcome.kind, kind);
      assert.equal(outcome.retryable, retryable);
    });
  }
});

describe("functionErrorOutcome", () => {
  it("a FunctionError is a retryable failure carrying the function's error type and message", () => {
    const outcome = functionErrorOutcome(
      "Unhandled",
      Buffer.from(JSON.stringify({ errorType: "TypeError", errorMessage: "x is undefined" })),
      3,
    );
    assert.deepEqual(outcome, {
      kind: "function_error",
      retryable: true,
      errorType: "TypeError",
      message: "x is undefined",
      durationMs: 3,
    });
  });
  it("copes with a payload that is not JSON", () => {
    assert.equal(functionErrorOutcome("Handled", Buffer.from("oops"), 1).errorType, "Handled");
  });
});
