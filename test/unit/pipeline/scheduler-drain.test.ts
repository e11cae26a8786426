import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { callReport, FakeSession, happen, turn } from "./fakes.js";
import { schedulerHarness } from "./scheduler-harness.js";

describe("Scheduler.drain", () => {
  it("gives back what waits at once, lets the running batch finish, then resolves true", async (t) => {
    const h = schedulerHarness(t);
    const [running, w1, w2] = h.admit({}, {}, {});
    const drained = h.scheduler.drain(5_000);
    await turn();
    assert.deepEqual(
      h.settled.map((s) => [s.held, s.decision.step.do]),
      [
        [w1, "give_back"],
        [w2, "give_back"],
      ],
    );
    await h.answer(0, happen.succeeded);
    assert.equal(await drained, true);
    assert.equal(h.settled[2]?.held, running);
    assert.equal(h.runs.length, 1, "nothing new started");
  });

  it("a message that fails while draining goes back instead of being retried", async (t) => {
    const h = schedulerHarness(t);
    h.admit({});
    const drained = h.scheduler.drain(5_000);
    await h.answer(0, happen.functionError);
    assert.deepEqual(h.steps(), ["give_back"]);
    assert.equal(await drained, true);
  });

  it("with auto_ack the waiting messages are still run: the broker has forgotten them", async (t) => {
    const h = schedulerHarness(t, { policy: { autoAck: true } });
    h.admit({}, {});
    const drained = h.scheduler.drain(5_000);
    await turn();
    assert.deepEqual(h.settled, [], "nothing given back");
    await h.answer(0, happen.succeeded);
    assert.equal(h.runs.length, 2);
    await h.answer(1, happen.succeeded);
    assert.equal(await drained, true);
    assert.deepEqual(h.steps(), ["nothing", "nothing"]);
  });

  it("a timeout with messages running and waiting (auto_ack): the waiting ones are lost, all are counted", async (t) => {
    const h = schedulerHarness(t, { policy: { autoAck: true } });
    const [, waiting] = h.admit({}, {});
    const drained = h.scheduler.drain(1_000);
    await h.clock.tick(1_000);
    assert.equal(await drained, false);
    assert.equal(h.scheduler.drainTimedOut(), 2, "one running and one waiting are unfinished");
    await turn();
    assert.deepEqual(
      h.settled.map((s) => [s.held, s.decision.step.do]),
      [[waiting, "lost"]],
    );
  });

  it("a timeout with a message running and one settling: both still held, nothing more decided", async (t) => {
    const h = schedulerHarness(t, { settleAtOnce: false });
    h.admit({}, {});
    const drained = h.scheduler.drain(1_000);
    await h.clock.tick(1_000);
    assert.equal(await drained, false);
    assert.equal(h.scheduler.drainTimedOut(), 2);
    assert.deepEqual(h.steps(), ["give_back"], "only the give-back started at the drain");
  });

  it("drain during a half-open probe: the rest goes back; the probe's failure gives it back too", async (t) => {
    const h = schedulerHarness(t);
    h.breaker.recordSystemic("down");
    h.breaker.recordSystemic("down");
    const [probe, other] = h.admit({}, {});
    await h.clock.tick(1_000);
    assert.equal(h.breaker.state, "half_open");
    const drained = h.scheduler.drain(60_000);
    await turn();
    assert.equal(h.settled[0]?.held, other);
    await h.answer(0, happen.platform, callReport("server_error", "systemic"));
    assert.equal(h.breaker.state, "open");
    assert.deepEqual(
      h.settled.map((s) => [s.held, s.decision.step.do]),
      [
        [other, "give_back"],
        [probe, "give_back"],
      ],
    );
    assert.equal(await drained, true);
    await h.clock.tick(10_000);
    assert.equal(h.runs.length, 1, "no probe while draining");
  });

  it("drain during a half-open probe that succeeds: the probe is acked", async (t) => {
    const h = schedulerHarness(t);
    h.breaker.recordSystemic("down");
    h.breaker.recordSystemic("down");
    h.admit({});
    await h.clock.tick(1_000);
    const drained = h.scheduler.drain(60_000);
    await h.answer(0, happen.succeeded);
    assert.equal(await drained, true);
    assert.deepEqual(h.steps(), ["ack"]);
  });
});

describe("Scheduler: interleavings around give-backs and dead channels", () => {
  it("a give-back while a retry timer is pending: the message goes back and never runs again", async (t) => {
    const h = schedulerHarness(t);
    const [m] = h.admit({});
    await h.answer(0, happen.functionError);
    assert.equal(m?.phase, "waiting");
    assert.equal(h.scheduler.giveBackWaiting(), 1);
    await h.clock.tick(1_000);
    assert.equal(h.runs.length, 1, "the retry timer found nothing to run");
    assert.deepEqual(h.steps(), ["give_back"]);
    assert.equal(h.scheduler.heldCount, 0);
  });

  it("a report that arrives after the channel died is left to the broker, never acked", async (t) => {
    const h = schedulerHarness(t);
    h.admit({});
    h.session.alive = false;
    assert.equal(h.scheduler.channelLost(), 0, "the running message is not touched");
    await h.answer(0, happen.succeeded);
    assert.deepEqual(h.settled[0]?.decision, { step: { do: "leave_to_broker" }, ended: "succeeded" });
  });

  it("a closed channel: its waiting messages are left to the broker; another session's stay", async (t) => {
    const h = schedulerHarness(t);
    const other = new FakeSession("other");
    const [, deadWaiting, liveWaiting] = h.admit({}, {}, { session: other });
    h.session.alive = false;
    assert.equal(h.scheduler.channelLost(), 1);
    assert.deepEqual(
      h.settled.map((s) => [s.held, s.decision.step.do]),
      [[deadWaiting, "leave_to_broker"]],
    );
    assert.equal(liveWaiting?.phase, "waiting");
  });

  it("auto_ack messages of a dead channel are still finished", async (t) => {
    const h = schedulerHarness(t, { policy: { autoAck: true } });
    const [, waiting] = h.admit({}, {});
    h.session.alive = false;
    assert.equal(h.scheduler.channelLost(), 0, "kept: the broker forgot them");
    await h.answer(0, happen.succeeded);
    assert.deepEqual(h.runs[1]?.batch, [waiting]);
    await h.answer(1, happen.succeeded);
    assert.deepEqual(h.steps(), ["nothing", "nothing"]);
  });

  it("a message arriving while stopping goes back at once", async (t) => {
    const h = schedulerHarness(t);
    h.admitAs({ kind: "arrived_while_stopping", closed: false });
    await turn();
    assert.deepEqual(h.steps(), ["give_back"]);
    assert.equal(h.runs.length, 0);
  });

  it("with auto_ack a message arriving while stopping is kept and run, or lost once closed", async (t) => {
    const h = schedulerHarness(t, { policy: { autoAck: true } });
    const kept = h.admitAs({ kind: "arrived_while_stopping", closed: false });
    h.admitAs({ kind: "arrived_while_stopping", closed: true });
    await turn();
    assert.deepEqual(h.steps(), ["lost"]);
    assert.deepEqual(h.runs[0]?.batch, [kept], "the broker forgot it: the agent runs it");
  });

  it("a filtered message in a busy lane is acked without a call; the lane's next waits for both", async (t) => {
    const h = schedulerHarness(t, { settleAtOnce: false, workers: 2 });
    const [first] = h.admit({ lane: "k" });
    const filtered = h.admitAs({ kind: "filtered" }, { lane: "k" });
    const [next] = h.admit({ lane: "k" });
    assert.deepEqual(
      h.settled.map((s) => [s.held, s.decision.step.do, s.decision.ended]),
      [[filtered, "ack", "filtered"]],
      "settled at once, while the lane's first message still runs",
    );
    assert.equal(h.runs.length, 1);
    await h.answer(0, happen.succeeded);
    h.settled[1]?.done.resolve();
    await turn();
    assert.equal(first?.phase, "done");
    assert.equal(h.runs.length, 1, "the filtered message still settles: its lane is busy");
    h.settled[0]?.done.resolve();
    await turn();
    assert.deepEqual(h.runs[1]?.batch, [next]);
  });
});
