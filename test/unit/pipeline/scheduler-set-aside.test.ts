import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { callReport, happen, retryState } from "./fakes.js";
import { type HarnessOptions, schedulerHarness } from "./scheduler-harness.js";

const wholeCallFailed = callReport("function_error", "ambiguous");

/** A harness whose breaker (4 messages, half failed; first probe after 1 s) is open on function errors. */
function poisoned(t: Parameters<typeof schedulerHarness>[0], options: HarnessOptions = {}) {
  const h = schedulerHarness(t, options);
  h.breaker.recordFunctionErrors([9_001, 9_002, 9_003, 9_004], "boom");
  assert.equal(h.breaker.openReason?.cause, "function_errors");
  return h;
}

describe("Scheduler: probes while the breaker is open on function errors (a poison burst)", () => {
  it("a failed probe is charged and set aside; the next probe takes another message after probe_interval", async (t) => {
    const h = poisoned(t);
    const [m1, m2] = h.admit({}, {});
    await h.clock.tick(1_000);
    assert.deepEqual(h.runs[0]?.batch, [m1]);
    await h.answer(0, happen.functionError, wholeCallFailed);
    assert.deepEqual(
      h.settled.map((s) => [s.held, s.decision]),
      [[m1, { step: { do: "set_aside" }, charge: "attempt" }]],
    );
    assert.deepEqual([m1?.attempts, m1?.probeFailures], [1, 1]);
    assert.equal(h.breaker.state, "open");
    await h.clock.tick(999);
    assert.equal(h.runs.length, 1);
    await h.clock.tick(1);
    assert.deepEqual(h.runs[1]?.batch, [m2], "probe_interval kept: m1 had never failed a probe");
  });

  it("a message set aside before that fails a probe again: set aside again, and the interval doubles", async (t) => {
    const h = poisoned(t);
    const [back] = h.admit({ retry: retryState({ setAside: 1, roundAttempts: 1, attemptsBefore: 0 }) });
    assert.equal(back?.attempts, 1, "it brings the attempts of its round");
    await h.clock.tick(1_000);
    await h.answer(0, happen.functionError, wholeCallFailed);
    assert.deepEqual(h.steps(), ["set_aside"]);
    assert.equal(back?.attempts, 2);
    h.admit({});
    await h.clock.tick(1_999);
    assert.equal(h.runs.length, 1);
    await h.clock.tick(1);
    assert.equal(h.runs.length, 2);
  });

  it("in ordering lanes the failed probe keeps its lane's head; the next probe takes another lane", async (t) => {
    const h = poisoned(t, { workers: 2 });
    const [a1, , b1] = h.admit({ lane: "a" }, { lane: "a" }, { lane: "b" });
    await h.clock.tick(1_000);
    await h.answer(0, happen.functionError, wholeCallFailed);
    assert.deepEqual(h.settled, [], "nothing is set aside in a lane");
    assert.deepEqual([a1?.phase, a1?.attempts], ["waiting", 1]);
    await h.clock.tick(1_000);
    assert.deepEqual(h.runs[1]?.batch, [b1]);
    await h.answer(1, happen.functionError, wholeCallFailed);
    await h.clock.tick(1_000);
    assert.deepEqual(h.runs[2]?.batch, [a1], "round again to a1, probed longest ago");
    await h.answer(2, happen.functionError, wholeCallFailed);
    await h.clock.tick(1_999);
    assert.equal(h.runs.length, 3, "a1 had failed a probe before: the interval doubles");
    await h.clock.tick(1);
    assert.deepEqual(h.runs[3]?.batch, [b1]);
  });

  it("a failed probe with its attempts used up ends by the failure policy", async (t) => {
    const h = poisoned(t);
    h.admit({ retry: retryState({ setAside: 2, roundAttempts: 2, attemptsBefore: 0 }) });
    await h.clock.tick(1_000);
    await h.answer(0, happen.functionError, wholeCallFailed);
    assert.deepEqual(h.settled[0]?.decision, {
      step: { do: "dead_letter" },
      charge: "attempt",
      ended: "failed",
    });
  });

  it("draining while the probe runs: its failure hands it back, charged", async (t) => {
    const h = poisoned(t);
    const [probe] = h.admit({});
    await h.clock.tick(1_000);
    const drained = h.scheduler.drain(60_000);
    await h.answer(0, happen.functionError, wholeCallFailed);
    assert.deepEqual(h.settled[0]?.decision, { step: { do: "give_back", delayMs: 0 }, charge: "attempt" });
    assert.equal(probe?.attempts, 1);
    assert.equal(await drained, true);
  });

  it("a probe that succeeds closes the breaker, whatever the message's history", async (t) => {
    const h = poisoned(t);
    h.admit({ retry: retryState({ setAside: 3 }) });
    await h.clock.tick(1_000);
    await h.answer(0, happen.succeeded);
    assert.equal(h.breaker.state, "closed");
  });
});

describe("Scheduler: only fresh first attempts are breaker evidence", () => {
  it("function errors of copies back from a retry or set-aside queue, or redriven, do not open it; fresh ones do", async (t) => {
    const h = schedulerHarness(t, { batchSize: 4, batchWindowMs: 1_000 });
    h.admit(
      { retry: retryState({ round: 1 }) },
      { retry: retryState({ setAside: 1 }) },
      { retry: retryState({ redriven: true }) },
      { retry: retryState({ round: 1, setAside: 1 }) },
    );
    await h.answer(0, happen.functionError);
    assert.equal(h.breaker.state, "closed");
    h.admit({}, {}, {}, {});
    await h.answer(1, happen.functionError);
    assert.equal(h.breaker.state, "open");
  });

  it("a second attempt in the agent is no news either (its first failure has left the window)", async (t) => {
    const h = schedulerHarness(t, {
      batchSize: 4,
      batchWindowMs: 1_000,
      breaker: { windowMs: 50 },
      policy: { maxRetries: 5 },
    });
    h.admit({}, {});
    await h.clock.tick(1_000);
    await h.answer(0, happen.functionError);
    assert.equal(h.breaker.state, "closed", "2 messages: fewer than 4");
    h.admit({}, {});
    await h.clock.tick(100);
    assert.equal(h.runs[1]?.batch.length, 4, "the two retries (after 100 ms) and two new ones");
    await h.answer(1, happen.functionError);
    assert.equal(h.breaker.state, "closed", "4 of 4 failed, but only the 2 new ones are evidence");
  });

  it("a failure that goes to a retry queue is no news: the broker retries it later", async (t) => {
    const retry = { delayMs: 1_000, queue: "q.retry.1s", routingKey: "retry.1s" };
    const h = schedulerHarness(t, {
      batchSize: 4,
      batchWindowMs: 1_000,
      policy: { maxRetries: 0, retrySteps: [retry] },
    });
    h.admit({}, {}, {}, {});
    await h.answer(0, happen.functionError);
    assert.deepEqual(h.steps(), ["retry_queue", "retry_queue", "retry_queue", "retry_queue"]);
    assert.equal(h.breaker.state, "closed");
  });

  it("a call is judged by the breaker at its start: one that began while closed is charged", async (t) => {
    const h = schedulerHarness(t, { workers: 3 });
    const [, , late] = h.admit({}, {}, {});
    await h.answer(0, happen.platform, callReport("server_error", "systemic"));
    await h.answer(1, happen.platform, callReport("server_error", "systemic"));
    assert.equal(h.breaker.state, "open");
    await h.answer(2, happen.functionError);
    assert.equal(late?.attempts, 1, "charged: the platform looked fine when its call started");
  });
});
