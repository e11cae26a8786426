import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type {
  InvokeFailureKind,
  InvokeOutcome,
  Invoker,
} from "../../../../../src/backends/lambda/invoke/index.js";
import { INVOKE_PATHS } from "./invoke-paths.js";
import {
  type LambdaWireStub,
  refusedEndpoint,
  type StubReply,
  startLambdaWireStub,
} from "./lambda-wire-stub.js";

/** What every path must report for a case: the failure kind and type (and Reason), or the payload. */
type Expected =
  | { kind: "ok"; payload: string | undefined }
  | { kind: InvokeFailureKind; errorType: string; message?: string; reason?: string; httpStatus?: number };

interface Case {
  name: string;
  reply: StubReply;
  expected: Expected;
}

const json = (status: number, errorType: string | undefined, body: object | string): StubReply => ({
  status,
  headers: errorType === undefined ? {} : { "x-amzn-errortype": errorType },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

const THROTTLE_REASONS = [
  "ConcurrentInvocationLimitExceeded",
  "FunctionInvocationRateLimitExceeded",
  "ReservedFunctionConcurrentInvocationLimitExceeded",
  "ReservedFunctionInvocationRateLimitExceeded",
  "CallerRateLimitExceeded",
  "ConcurrentSnapshotCreateLimitExceeded",
];

const FUNCTION_ERROR = { errorType: "TypeError", errorMessage: "x is undefined", trace: ["at handler"] };
const CORAL = ":http://internal.amazon.com/coral/com.amazon.coral.service/";

/** Each class of answer exactly as Lambda puts it on the wire (status, x-amzn-errortype, JSON body). */
const CASES: Case[] = [
  ...THROTTLE_REASONS.map(
    (reason): Case => ({
      name: `429 TooManyRequestsException ${reason}`,
      reply: json(429, "TooManyRequestsException", {
        Reason: reason,
        Type: "User",
        message: "Rate Exceeded.",
      }),
      expected: {
        kind: "throttled",
        errorType: "TooManyRequestsException",
        message: "Rate Exceeded.",
        reason,
        httpStatus: 429,
      },
    }),
  ),
  {
    name: "404 ResourceNotFoundException",
    reply: json(404, "ResourceNotFoundException", {
      Type: "User",
      Message: "Function not found: arn:aws:lambda:us-east-1:123456789012:function:fn",
    }),
    expected: {
      kind: "not_found",
      errorType: "ResourceNotFoundException",
      message: "Function not found: arn:aws:lambda:us-east-1:123456789012:function:fn",
      httpStatus: 404,
    },
  },
  {
    name: "403 AccessDeniedException",
    reply: json(403, "AccessDeniedException", {
      Message: "User: arn:aws:iam::123456789012:user/x is not authorized to perform: lambda:InvokeFunction",
    }),
    expected: { kind: "access_denied", errorType: "AccessDeniedException", httpStatus: 403 },
  },
  {
    name: "403 UnrecognizedClientException",
    reply: json(403, `UnrecognizedClientException${CORAL}`, {
      message: "The security token included in the request is invalid.",
    }),
    expected: {
      kind: "credentials",
      errorType: "UnrecognizedClientException",
      message: "The security token included in the request is invalid.",
      httpStatus: 403,
    },
  },
  {
    name: "403 ExpiredTokenException",
    reply: json(403, `ExpiredTokenException${CORAL}`, {
      message: "The security token included in the request is expired",
    }),
    expected: { kind: "credentials", errorType: "ExpiredTokenException", httpStatus: 403 },
  },
  {
    name: "403 InvalidSignatureException",
    reply: json(403, `InvalidSignatureException${CORAL}`, {
      message: "Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z",
    }),
    expected: { kind: "credentials", errorType: "InvalidSignatureException", httpStatus: 403 },
  },
  {
    name: "403 without an error type",
    reply: json(403, undefined, { message: "Forbidden" }),
    expected: { kind: "access_denied", errorType: "Unknown", message: "Forbidden", httpStatus: 403 },
  },
  {
    name: "413 RequestTooLargeException",
    reply: json(413, "RequestTooLargeException", {
      Type: "User",
      message: "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    }),
    expected: { kind: "too_large", errorType: "RequestTooLargeException", httpStatus: 413 },
  },
  {
    name: "400 InvalidRequestContentException",
    reply: json(400, "InvalidRequestContentException", {
      Type: "User",
      message: "Could not parse request body into json",
    }),
    expected: { kind: "bad_request", errorType: "InvalidRequestContentException", httpStatus: 400 },
  },
  {
    name: "409 ResourceConflictException (function being updated)",
    reply: json(409, "ResourceConflictException", {
      Type: "User",
      message: "The operation cannot be performed at this time. An update is in progress for resource",
    }),
    expected: { kind: "throttled", errorType: "ResourceConflictException", httpStatus: 409 },
  },
  {
    name: "500 ServiceException",
    reply: json(500, "ServiceException", { Type: "Service", Message: "An error occurred" }),
    expected: {
      kind: "server_error",
      errorType: "ServiceException",
      message: "An error occurred",
      httpStatus: 500,
    },
  },
  {
    name: "502 EC2ThrottledException",
    reply: json(502, "EC2ThrottledException", {
      Type: "User",
      Message: "Lambda was throttled by Amazon EC2",
    }),
    expected: { kind: "throttled", errorType: "EC2ThrottledException", httpStatus: 502 },
  },
  {
    name: "502 ENILimitReachedException",
    reply: json(502, "ENILimitReachedException", { Type: "User", Message: "ENI limit reached" }),
    expected: { kind: "server_error", errorType: "ENILimitReachedException", httpStatus: 502 },
  },
  {
    name: "502 with an HTML body from a proxy",
    reply: { status: 502, headers: { "content-type": "text/html" }, body: "<html>Bad Gateway</html>" },
    expected: {
      kind: "server_error",
      errorType: "Unknown",
      message: "HTTP 502 response whose body is not JSON",
      httpStatus: 502,
    },
  },
  {
    name: "500 with an empty body",
    reply: { status: 500, body: "" },
    expected: { kind: "server_error", errorType: "Unknown", message: "UnknownError", httpStatus: 500 },
  },
  {
    name: "200 X-Amz-Function-Error Unhandled with the error JSON",
    reply: {
      status: 200,
      headers: { "x-amz-function-error": "Unhandled" },
      body: JSON.stringify(FUNCTION_ERROR),
    },
    expected: { kind: "function_error", errorType: "TypeError", message: "x is undefined" },
  },
  {
    name: "200 X-Amz-Function-Error Handled with the error JSON",
    reply: {
      status: 200,
      headers: { "x-amz-function-error": "Handled" },
      body: JSON.stringify(FUNCTION_ERROR),
    },
    expected: { kind: "function_error", errorType: "TypeError", message: "x is undefined" },
  },
  {
    name: "200 X-Amz-Function-Error Unhandled without a JSON payload",
    reply: { status: 200, headers: { "x-amz-function-error": "Unhandled" }, body: "Task timed out" },
    expected: { kind: "function_error", errorType: "Unhandled" },
  },
  {
    name: "200 X-Amz-Function-Error Handled with an empty payload",
    reply: { status: 200, headers: { "x-amz-function-error": "Handled" }, body: "" },
    expected: { kind: "function_error", errorType: "Handled" },
  },
  {
    name: "200 with a payload",
    reply: {
      status: 200,
      headers: { "x-amz-executed-version": "$LATEST" },
      body: '{"batchItemFailures":[]}',
    },
    expected: { kind: "ok", payload: '{"batchItemFailures":[]}' },
  },
  {
    name: "200 without a payload",
    reply: { status: 200, body: "" },
    expected: { kind: "ok", payload: undefined },
  },
  {
    name: "a server that hangs past the timeout",
    reply: { hang: true },
    expected: { kind: "timeout", errorType: "InvokeTimeout" },
  },
  {
    name: "a server that resets the socket",
    reply: { reset: true },
    expected: { kind: "network", errorType: "ECONNRESET" },
  },
];

const TIMEOUT_MS = 400;

function assertOutcome(outcome: InvokeOutcome, expected: Expected): void {
  if (expected.kind === "ok") {
    assert.equal(outcome.kind, "ok", JSON.stringify(outcome));
    const payload = outcome.kind === "ok" ? outcome.payload : undefined;
    assert.equal(payload === undefined ? undefined : Buffer.from(payload).toString(), expected.payload);
    return;
  }
  assert.ok(outcome.kind !== "ok", "expected a failure");
  const actual: Record<string, unknown> = { kind: outcome.kind, errorType: outcome.errorType };
  const wanted: Record<string, unknown> = { kind: expected.kind, errorType: expected.errorType };
  for (const key of ["message", "reason", "httpStatus"] as const) {
    if (key in expected) {
      actual[key] = outcome[key];
      wanted[key] = expected[key];
    }
  }
  if (!("reason" in expected)) assert.equal(outcome.reason, undefined);
  assert.deepEqual(actual, wanted);
}

describe("every invoke path reports each answer of the Invoke API the same way", () => {
  let stub: LambdaWireStub;
  const invokers = new Map<string, Invoker>();
  const byCase = new Map(CASES.map((c) => [c.name, c.reply]));

  before(async () => {
    stub = await startLambdaWireStub((request) => {
      const { case: name } = JSON.parse(request.body.toString()) as { case: string };
      return byCase.get(name) ?? { status: 500, body: "{}" };
    });
    for (const { name, create } of INVOKE_PATHS) {
      invokers.set(
        name,
        create({ functionName: "fn", endpoint: stub.endpoint, timeoutMs: TIMEOUT_MS, sockets: 4 }),
      );
    }
  });
  after(async () => {
    for (const invoker of invokers.values()) invoker.close();
    await stub.close();
  });

  for (const c of CASES) {
    for (const { name: client } of INVOKE_PATHS) {
      it(`${c.name} → ${c.expected.kind} (${client})`, async () => {
        const payload = Buffer.from(JSON.stringify({ case: c.name }));
        // Two chunks: the http paths send them as they are, the SDK path concatenates them.
        const chunks = [payload.subarray(0, 5), payload.subarray(5)];
        const outcome = await (invokers.get(client) as Invoker).invoke(chunks, payload.byteLength);
        assertOutcome(outcome, c.expected);
      });
    }
  }

  for (const { name: client, create } of INVOKE_PATHS) {
    it(`a refused connection → network ECONNREFUSED (${client})`, async () => {
      const endpoint = await refusedEndpoint();
      const invoker = create({ functionName: "fn", endpoint, timeoutMs: TIMEOUT_MS, sockets: 1 });
      const outcome = await invoker.invoke([Buffer.from("{}")], 2);
      invoker.close();
      assertOutcome(outcome, { kind: "network", errorType: "ECONNREFUSED" });
    });

    it(`a payload over 6 MB → too_large without a call (${client})`, async () => {
      const before = stub.requests.length;
      const big = Buffer.alloc(6 * 1024 * 1024 + 1);
      const outcome = await (invokers.get(client) as Invoker).invoke([big], big.byteLength);
      assert.deepEqual(outcome, {
        kind: "too_large",
        errorType: "PayloadTooLarge",
        message: `payload of ${big.byteLength} bytes is over Lambda's 6291456-byte synchronous limit`,
        durationMs: 0,
      });
      assert.equal(stub.requests.length, before);
    });
  }

  it("each path sent each case's chunks as one intact body", () => {
    for (const c of CASES) {
      const body = JSON.stringify({ case: c.name });
      assert.equal(
        stub.requests.filter((r) => r.body.toString() === body).length,
        INVOKE_PATHS.length,
        c.name,
      );
    }
  });
});
