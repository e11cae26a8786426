import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Decision, Step } from "../../../src/policy/decide.js";
import { agentConfig, failure, fakeClock, LEVEL, turn } from "./fakes.js";
import { settlerHarness } from "./settler-harness.js";

const decision = (step: Step, ended?: Decision["ended"]): Decision => ({ step, ended });

describe("Settler: channel steps, on the channel that delivered the message", () => {
  it("a success is acked and counted (succeeded, acked, last success time)", async (t) => {
    fakeClock(t, 1_700_000_000_000);
    const h = settlerHarness();
    const held = h.held({ deliveryTag: 7 });
    await h.settler.settle(held, decision({ do: "ack" }, "succeeded"));
    assert.deepEqual(h.own.calls, [["ack", 7]]);
    assert.equal(await h.read("messages_succeeded_total"), 1);
    assert.equal(await h.read("messages_acked_total"), 1);
    assert.equal(await h.read("last_success_timestamp_seconds"), 1_700_000_000);
  });

  it("a filtered message is acked and counted as filtered, not succeeded", async () => {
    const h = settlerHarness();
    await h.settler.settle(h.held(), decision({ do: "ack" }, "filtered"));
    assert.deepEqual(h.own.methods, ["ack"]);
    assert.equal(await h.read("messages_filtered_total"), 1);
    assert.equal(await h.read("messages_succeeded_total"), 0);
  });

  it("reject and a failed end are counted", async () => {
    const h = settlerHarness();
    await h.settler.settle(h.held(), decision({ do: "reject" }, "failed"));
    assert.deepEqual(h.own.methods, ["reject"]);
    assert.equal(await h.read("messages_failed_total"), 1);
    assert.equal(await h.read("messages_rejected_total"), 1);
  });

  it("an ack on a closed channel is counted as unsettled, not acked", async () => {
    const h = settlerHarness();
    h.own.alive = false;
    await h.settler.settle(h.held(), decision({ do: "ack" }, "succeeded"));
    assert.equal(await h.read("messages_acked_total"), 0);
    assert.equal(await h.read("messages_unsettled_total"), 1);
  });

  it("a give-back waits its delay, then nacks with requeue (counted as returned)", async (t) => {
    const clock = fakeClock(t);
    const h = settlerHarness();
    const settled = h.settler.settle(h.held(), decision({ do: "give_back", delayMs: 500 }));
    await clock.tick(499);
    assert.deepEqual(h.own.calls, []);
    await clock.tick(1);
    await settled;
    assert.deepEqual(h.own.methods, ["giveBack"]);
    assert.equal(await h.read("messages_returned_total"), 1);
  });

  it("a give-back without delay goes at once", async () => {
    const h = settlerHarness();
    await h.settler.settle(h.held(), decision({ do: "give_back", delayMs: 0 }));
    assert.deepEqual(h.own.methods, ["giveBack"]);
  });

  it("a requeue waits requeue_delay, then rejects with requeue (counted as requeued)", async (t) => {
    const clock = fakeClock(t);
    const h = settlerHarness();
    const settled = h.settler.settle(h.held(), decision({ do: "requeue", delayMs: 700 }, "failed"));
    await clock.tick(699);
    assert.deepEqual(h.own.calls, []);
    await clock.tick(1);
    await settled;
    assert.deepEqual(h.own.methods, ["requeue"]);
    assert.equal(await h.read("messages_requeued_total"), 1);
  });

  it("a channel that closed during the wait: the give-back is unsettled", async (t) => {
    const clock = fakeClock(t);
    const h = settlerHarness();
    const settled = h.settler.settle(h.held(), decision({ do: "give_back", delayMs: 500 }));
    h.own.alive = false;
    await clock.tick(500);
    await settled;
    assert.equal(await h.read("messages_returned_total"), 0);
    assert.equal(await h.read("messages_unsettled_total"), 1);
  });

  it("leave_to_broker touches nothing and counts unsettled", async () => {
    const h = settlerHarness();
    await h.settler.settle(h.held(), decision({ do: "leave_to_broker" }, "succeeded"));
    assert.deepEqual(h.own.calls, []);
    assert.equal(await h.read("messages_unsettled_total"), 1);
  });

  it("nothing, keep and retry touch nothing", async () => {
    const h = settlerHarness();
    for (const step of [{ do: "nothing" }, { do: "keep" }, { do: "retry", delayMs: 5 }] as Step[]) {
      await h.settler.settle(h.held(), decision(step));
    }
    assert.deepEqual(h.own.calls, []);
    assert.equal(await h.read("messages_unsettled_total"), 0);
  });

  it("a lost auto_ack message is counted and logged with its failure, or as unfinished", async () => {
    const h = settlerHarness(agentConfig({ amqp: { auto_ack: true } }));
    await h.settler.settle(h.held(), decision({ do: "lost" }, "failed"), failure("function_error", "Boom"));
    await h.settler.settle(h.held(), decision({ do: "lost" }));
    await turn();
    assert.equal(await h.read("messages_lost_total"), 2);
    const errors = h.lines.filter((line) => line.level === LEVEL.error).map((line) => line.msg);
    assert.match(errors[0] ?? "", /could not be dead-lettered: it is lost \(Boom: boom\)/);
    assert.match(errors[1] ?? "", /could not be finished before the agent stopped/);
    assert.deepEqual(h.own.calls, []);
  });
});
