import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CallReport } from "../../../src/backends/backend.js";
import type { CircuitBreaker, SystemicFailure } from "../../../src/policy/circuit-breaker.js";
import type { ConcurrencyLimit } from "../../../src/policy/concurrency-limit.js";
import type { Happening } from "../../../src/policy/decide.js";
import { type CallEvidence, learnFromCall } from "../../../src/policy/platform-evidence.js";
import { callReport, happen } from "../pipeline/fakes.js";

/** A breaker and a limit that record what they are told; `throttled` answers `news`. */
function recorders(news = true) {
  const told: unknown[][] = [];
  const breaker = {
    recordSuccess: (ids: number[]) => told.push(["success", ids]),
    recordSystemic: (reason: string, { evidence, probe }: SystemicFailure) =>
      told.push(["systemic", reason, evidence, probe]),
    recordFunctionErrors: (ids: number[], reason: string, probe: boolean, repeat: boolean) =>
      told.push(["function_errors", ids, reason, probe, repeat]),
    // Its default, as the breaker has it: a probe.
    recordInconclusive: (probe = true) => told.push(["inconclusive", probe]),
  } as unknown as CircuitBreaker;
  const limit = {
    succeeded: () => told.push(["limit_succeeded"]),
    throttled: (startedAt: number) => {
      told.push(["limit_throttled", startedAt]);
      return news;
    },
  } as unknown as ConcurrencyLimit;
  return { breaker, limit, told };
}

const of = (...kinds: Happening[]): Array<[{ id: number }, Happening]> =>
  kinds.map((happening, i) => [{ id: i + 1 }, happening]);

/** Every message fresh evidence (first attempts); `probe`: the call was a first-time probe. */
function evidence(
  call: CallReport | undefined,
  happenings: Array<[{ id: number }, Happening]>,
  probe = false,
): CallEvidence {
  return { call, happenings, fresh: () => true, probe: probe ? { repeat: false } : undefined };
}

function learn(call: CallReport | undefined, happenings: Array<[{ id: number }, Happening]>, probe = false) {
  const r = recorders();
  learnFromCall(evidence(call, happenings, probe), r.breaker, r.limit);
  return r.told;
}

describe("learnFromCall: what one call says about the platform", () => {
  it("no call (nothing was sent): a probe was inconclusive; otherwise nothing is learnt", () => {
    assert.deepEqual(learn(undefined, of({ kind: "channel_lost" }), true), [["inconclusive", true]]);
    assert.deepEqual(learn(undefined, of({ kind: "channel_lost" }), false), []);
  });

  it("an ok call: the limit grows and the successes close the breaker", () => {
    assert.deepEqual(learn(callReport(), of(happen.succeeded, happen.succeeded)), [
      ["limit_succeeded"],
      ["success", [1, 2]],
    ]);
  });

  it("an ok call with items reported failed: function errors per message, then the successes", () => {
    assert.deepEqual(learn(callReport(), of(happen.functionError, happen.succeeded, happen.own), true), [
      ["limit_succeeded"],
      ["function_errors", [1], "items reported as failed", true, false],
      ["success", [2]],
    ]);
  });

  it("an ok call where nothing succeeded or failed ambiguously is inconclusive", () => {
    assert.deepEqual(learn(callReport(), of(happen.own), true), [
      ["limit_succeeded"],
      ["inconclusive", true],
    ]);
  });

  it("a systemic failure of the call is evidence for the breaker", () => {
    assert.deepEqual(learn(callReport("server_error", "systemic"), of(happen.platform)), [
      ["systemic", "server_error", true, false],
    ]);
  });

  it("a throttle lowers the limit first; it is evidence only when the limit says it is news", () => {
    const call = callReport("throttled", "systemic", { startedAt: 17 });
    const news = recorders(true);
    learnFromCall(evidence(call, of(happen.platform)), news.breaker, news.limit);
    assert.deepEqual(news.told, [
      ["limit_throttled", 17],
      ["systemic", "throttled", true, false],
    ]);
    const old = recorders(false);
    learnFromCall(evidence(call, of(happen.platform), true), old.breaker, old.limit);
    assert.deepEqual(old.told[1], ["systemic", "throttled", false, true]);
  });

  it("a call that failed as a whole with a function error is one piece of evidence, whatever the batch", () => {
    const failedAll = of(happen.functionError, happen.functionError, happen.functionError);
    assert.deepEqual(learn(callReport("function_error", "ambiguous"), failedAll), [
      ["function_errors", [1], "function_error", false, false],
    ]);
  });

  it("a call refused for the message's own sake says nothing about the platform", () => {
    assert.deepEqual(learn(callReport("too_large", "message"), of({ kind: "split", batchSize: 2 }), true), [
      ["inconclusive", true],
    ]);
  });
});

describe("learnFromCall: only fresh evidence counts", () => {
  /** Messages 1..n; only those in `fresh` are first attempts. */
  function learnWith(
    call: CallReport,
    happenings: Array<[{ id: number }, Happening]>,
    fresh: number[],
    probe?: { repeat: boolean },
  ) {
    const r = recorders();
    learnFromCall({ call, happenings, fresh: (m) => fresh.includes(m.id), probe }, r.breaker, r.limit);
    return r.told;
  }

  it("function errors of retries, returned or set-aside copies are not counted; fresh ones are", () => {
    const told = learnWith(
      callReport(),
      of(happen.functionError, happen.functionError, happen.succeeded),
      [2],
    );
    assert.deepEqual(told, [
      ["limit_succeeded"],
      ["function_errors", [2], "items reported as failed", false, false],
      ["success", []],
    ]);
  });

  it("a success that is not fresh still tells the breaker the platform works (closing it), as no evidence", () => {
    assert.deepEqual(learnWith(callReport(), of(happen.succeeded), []), [
      ["limit_succeeded"],
      ["success", []],
    ]);
  });

  it("a probe's failure is the probe's result even when its message is not fresh; repeat is passed on", () => {
    assert.deepEqual(learnWith(callReport(), of(happen.functionError), [], { repeat: true }), [
      ["limit_succeeded"],
      ["function_errors", [], "items reported as failed", true, true],
    ]);
    assert.deepEqual(
      learnWith(callReport("function_error", "ambiguous"), of(happen.functionError), [], { repeat: false }),
      [["function_errors", [], "function_error", true, false]],
    );
  });
});
