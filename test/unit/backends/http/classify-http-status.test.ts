import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FailureKind, FailureScope } from "../../../../src/backends/backend.js";
import { failureScope } from "../../../../src/backends/failure-scope.js";
import { failureKindOfStatus, isSuccessStatus } from "../../../../src/backends/http/classify-http-status.js";
import { statusFailure } from "../../../../src/backends/http/http-failure.js";
import { parseRetryAfter } from "../../../../src/backends/http/retry-after.js";

const scopeOf = (kind: FailureKind): FailureScope =>
  failureScope({ kind, errorType: "HttpStatus", message: "m", durationMs: 1 } as Parameters<
    typeof failureScope
  >[0]);

describe("the status → class table", () => {
  // Every row of the table in classify-http-status.ts, with the scope failureScope gives it.
  const rows: Array<[number[], FailureKind, FailureScope]> = [
    [[200, 201, 204, 299], "invalid_response", "ambiguous"],
    [[300, 301, 302, 303, 304, 307, 308, 399], "not_found", "systemic"],
    [[401, 403, 407], "access_denied", "systemic"],
    [[404, 405], "not_found", "systemic"],
    [[408], "network", "systemic"],
    [[429], "throttled", "systemic"],
    [
      [
        400, 402, 406, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 425, 426, 428, 431, 451,
        499,
      ],
      "bad_message",
      "message",
    ],
    [[500, 501, 502, 503, 504, 505, 511, 599], "server_error", "systemic"],
    [[100, 101, 199, 600, 999], "server_error", "systemic"],
  ];
  for (const [statuses, kind, scope] of rows) {
    it(`${statuses.join(", ")} → ${kind} (${scope})`, () => {
      for (const status of statuses) {
        assert.equal(failureKindOfStatus(status), kind, `status ${status}`);
        assert.equal(scopeOf(failureKindOfStatus(status)), scope, `status ${status}`);
      }
    });
  }

  it("success is any 2xx by default, or exactly the listed codes", () => {
    const any = { kind: "2xx" } as const;
    for (const status of [200, 201, 202, 204, 299]) assert.ok(isSuccessStatus(status, any), String(status));
    for (const status of [199, 300, 304, 404, 500]) assert.ok(!isSuccessStatus(status, any), String(status));
    const listed = { kind: "codes", codes: [200, 404] } as const;
    assert.ok(isSuccessStatus(404, listed));
    assert.ok(!isSuccessStatus(201, listed));
  });
});

describe("statusFailure", () => {
  const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
  const fail = (status: number, headers: Record<string, string> = {}, body?: string) =>
    statusFailure(
      { status, headers, body: body === undefined ? undefined : Buffer.from(body) },
      "POST http://h/x",
      12,
      NOW,
    );

  it("types a failure by its status, and quotes the start of the body with control characters replaced", () => {
    const { failure, retryAfterMs } = fail(422, {}, '{"error":"bad"}\r\nX-Injected: 1');
    assert.deepEqual(
      { ...failure, message: undefined },
      {
        kind: "bad_message",
        errorType: "HttpStatus422",
        message: undefined,
        durationMs: 12,
        httpStatus: 422,
      },
    );
    assert.equal(
      failure.message,
      'HTTP 422 Unprocessable Entity from POST http://h/x: {"error":"bad"}\ufffd\ufffdX-Injected: 1',
    );
    assert.equal(retryAfterMs, undefined);
  });

  it("says where a redirect pointed and that it is not followed", () => {
    const { failure } = fail(301, { location: "https://elsewhere/x" });
    assert.equal(failure.kind, "not_found");
    assert.match(
      failure.message,
      /redirect to https:\/\/elsewhere\/x, never followed; point host and url_pattern/,
    );
  });

  it("honours Retry-After on 429 and 5xx, in seconds or as an HTTP-date", () => {
    assert.equal(fail(429, { "retry-after": "3" }).retryAfterMs, 3000);
    assert.equal(fail(503, { "retry-after": "Thu, 26 Nov 2026 12:00:30 GMT" }).retryAfterMs, 30_000);
    assert.equal(fail(429).retryAfterMs, undefined);
    // A Retry-After on a message's own failure or a redirect says nothing about the platform.
    assert.equal(fail(400, { "retry-after": "3" }).retryAfterMs, undefined);
    assert.equal(fail(301, { "retry-after": "3" }).retryAfterMs, undefined);
  });
});

describe("parseRetryAfter", () => {
  const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
  const cases: Array<[string | string[] | undefined, number | undefined]> = [
    ["0", 0],
    ["120", 120_000],
    [" 7 ", 7000],
    [["2", "9"], 2000],
    ["Thu, 26 Nov 2026 12:01:00 GMT", 60_000],
    ["Thursday, 26-Nov-26 12:00:10 GMT", 10_000],
    ["Thu Nov 26 12:00:05 2026", 5_000],
    // A date in the past: at once.
    ["Wed, 25 Nov 2026 12:00:00 GMT", 0],
    ["99999999999", 2 ** 31 - 1],
    [undefined, undefined],
    ["", undefined],
    ["-1", undefined],
    ["1.5", undefined],
    ["soon", undefined],
    ["2026-11-26T12:01:00Z", undefined],
  ];
  for (const [value, expected] of cases) {
    it(`${JSON.stringify(value)} → ${expected}`, () => assert.equal(parseRetryAfter(value, NOW), expected));
  }
});
