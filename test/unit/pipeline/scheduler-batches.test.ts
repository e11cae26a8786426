import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UNTRACED_INVOCATION } from "../../../src/tracing/invocation-trace.js";
import { callReport, FakeSession, happen, LEVEL, turn } from "./fakes.js";
import { schedulerHarness, tags } from "./scheduler-harness.js";

describe("Scheduler: when a batch goes", () => {
  it("a full batch goes at once", async (t) => {
    const h = schedulerHarness(t, { batchSize: 3, batchWindowMs: 1_000 });
    const sent = h.admit({}, {}, {});
    assert.equal(h.runs.length, 1);
    assert.deepEqual(tags(h.runs[0]?.batch ?? []), tags(sent));
  });

  it("a batch that is not full waits batch_window from its oldest message, then goes", async (t) => {
    const h = schedulerHarness(t, { batchSize: 3, batchWindowMs: 1_000 });
    const [first] = h.admit({});
    await h.clock.tick(400);
    const [second] = h.admit({});
    await h.clock.tick(599);
    assert.equal(h.runs.length, 0, "the window of the oldest message is not over");
    await h.clock.tick(1);
    assert.equal(h.runs.length, 1);
    assert.deepEqual(h.runs[0]?.batch, [first, second]);
  });

  it("a batch holds messages of one session only (their delivery tags belong to its channel)", async (t) => {
    const h = schedulerHarness(t, { batchSize: 4, batchWindowMs: 1_000, workers: 2 });
    const a = new FakeSession("a");
    const b = new FakeSession("b");
    const [a1, b1, a2, b2] = h.admit({ session: a }, { session: b }, { session: a }, { session: b });
    await h.clock.tick(1_000);
    assert.deepEqual(
      h.runs.map((run) => run.batch),
      [
        [a1, a2],
        [b1, b2],
      ],
    );
  });

  it("at most `workers` batches run at once; the next starts when one ends", async (t) => {
    const h = schedulerHarness(t, { workers: 2 });
    const [, , third] = h.admit({}, {}, {});
    assert.equal(h.runs.length, 2);
    assert.deepEqual(h.scheduler.phaseCounts(), { waiting: 1, running: 2, settling: 0 });
    await h.answer(1, happen.succeeded);
    assert.equal(h.runs.length, 3);
    assert.deepEqual(h.runs[2]?.batch, [third]);
  });

  it("a throttled call lowers the concurrency below `workers` (and the gauge shows it)", async (t) => {
    const h = schedulerHarness(t, { workers: 2 });
    h.admit({}, {}, {}, {});
    assert.equal(h.runs.length, 2);
    await h.answer(0, happen.platform, callReport("throttled", "systemic", { startedAt: h.clock.now() }));
    assert.equal(h.limit.limit, 1);
    assert.equal(await h.read("concurrency_limit"), 1);
    await h.clock.tick(1_000);
    assert.equal(h.runs.length, 2, "one batch still runs: no second may start at a limit of 1");
    await h.answer(1, happen.succeeded);
    assert.equal(h.limit.limit, 2, "a success at a limit of 1 raises it again");
    assert.equal(h.runs.length, 4);
  });
});

describe("Scheduler: after a call", () => {
  it("a success is settled with an ack; the message is no longer held", async (t) => {
    const h = schedulerHarness(t);
    const [m] = h.admit({});
    await h.answer(0, happen.succeeded);
    assert.equal(h.settled[0]?.held, m);
    assert.deepEqual(h.settled[0]?.decision, { step: { do: "ack" }, ended: "succeeded" });
    assert.equal(h.scheduler.heldCount, 0);
    assert.deepEqual(h.heldChanges, [1, 0]);
    assert.equal(await h.read("held_messages"), 0);
    assert.equal(m?.phase, "done");
  });

  it("a function error waits its backoff, then runs again; past max_retries it is dead-lettered", async (t) => {
    const h = schedulerHarness(t, { policy: { maxRetries: 2 } });
    const [m] = h.admit({});
    await h.answer(0, happen.functionError);
    assert.equal(m?.phase, "waiting");
    assert.equal(m?.attempts, 1);
    assert.equal(await h.read("messages_retried_total"), 1);
    await h.clock.tick(99);
    assert.equal(h.runs.length, 1, "backoff 100 ms × 1 not over");
    await h.clock.tick(1);
    assert.deepEqual(h.runs[1]?.batch, [m]);
    await h.answer(1, happen.functionError);
    await h.clock.tick(200);
    assert.equal(h.runs.length, 3, "backoff 100 ms × 2");
    await h.answer(2, happen.functionError);
    assert.deepEqual(h.settled[0]?.decision, {
      step: { do: "dead_letter" },
      charge: "attempt",
      ended: "failed",
    });
    assert.equal(m?.attempts, 3);
  });

  it("a platform failure is not charged: a setback, not an attempt", async (t) => {
    const h = schedulerHarness(t, { breaker: { failureThreshold: 10 } });
    const [m] = h.admit({});
    await h.answer(0, happen.platform, callReport("server_error", "systemic"));
    assert.equal(m?.attempts, 0);
    assert.equal(m?.setbacks, 1);
    assert.equal(await h.read("messages_retried_total"), 0);
  });

  it("split: a batch refused as too large goes again in halves", async (t) => {
    const h = schedulerHarness(t, { batchSize: 4, batchWindowMs: 1_000, workers: 2 });
    const sent = h.admit({}, {}, {}, {});
    await h.answer(0, { kind: "split", batchSize: 4 }, callReport("too_large", "message"));
    assert.deepEqual(
      sent.map((m) => m.maxBatch),
      [2, 2, 2, 2],
    );
    await h.clock.tick(1_000);
    assert.deepEqual(
      h.runs.slice(1).map((run) => run.batch),
      [sent.slice(0, 2), sent.slice(2)],
    );
    await h.answer(1, { kind: "split", batchSize: 2 }, callReport("too_large", "message"));
    await h.clock.tick(1_000);
    assert.deepEqual(
      h.runs.slice(3).map((run) => run.batch.length),
      [1],
      "halved again: one message per batch (one worker free)",
    );
  });

  it("a run that throws gives its messages back and logs why, with the invocation's trace id", async (t) => {
    const h = schedulerHarness(t, { batchSize: 2, batchWindowMs: 1_000 });
    h.admit({}, {});
    for (const held of h.runs[0]?.batch ?? [])
      held.trace = { ...UNTRACED_INVOCATION, traceId: "a".repeat(32) };
    h.runs[0]?.report.reject(new Error("backend exploded"));
    await turn();
    assert.deepEqual(h.steps(), ["give_back", "give_back"]);
    const logged = h.lines.find((line) => line.level === LEVEL.error);
    assert.match(logged?.msg ?? "", /failed unexpectedly/);
    assert.equal(logged?.traceId, "a".repeat(32));
    assert.equal(h.scheduler.heldCount, 0);
  });

  it("a message the report leaves out counts as crashed: given back", async (t) => {
    const h = schedulerHarness(t);
    h.admit({});
    h.runs[0]?.report.resolve({ happenings: new Map(), call: callReport() });
    await turn();
    assert.deepEqual(h.steps(), ["give_back"]);
  });

  it("a settlement that fails is logged; the message is no longer held", async (t) => {
    const h = schedulerHarness(t, { settleAtOnce: false });
    h.admit({});
    await h.answer(0, happen.succeeded);
    assert.deepEqual(h.scheduler.phaseCounts(), { waiting: 0, running: 0, settling: 1 });
    assert.equal(h.scheduler.inFlight, 1);
    h.settled[0]?.done.reject(new Error("channel gone"));
    await turn();
    assert.equal(h.scheduler.heldCount, 0);
    assert.ok(h.lines.some((line) => /settling a message failed/.test(line.msg)));
  });

  it("reports the oldest arrival and the lanes waiting", async (t) => {
    const h = schedulerHarness(t, { workers: 1 });
    assert.equal(h.scheduler.oldestReceivedAt, undefined);
    assert.equal(await h.scheduler.whenIdle(10), true, "idle at once with nothing held");
    const start = h.clock.now();
    h.admit({ lane: "a" });
    await h.clock.tick(300);
    h.admit({ lane: "a" }, { lane: "b" });
    await h.clock.tick(200);
    assert.equal(h.scheduler.oldestReceivedAt, start);
    assert.deepEqual(h.scheduler.laneWaits(), { lanes: 2, oldestWaitMs: 200 });
  });
});
