import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DesiredConsumer } from "../../../src/amqp/consumer-session.js";
import { ConsumerControl } from "../../../src/policy/consumer-control.js";

function control(autoAck = false, maxBacklog = 10) {
  const applied: DesiredConsumer[] = [];
  const subject = new ConsumerControl({ autoAck, maxBacklog, apply: (desired) => applied.push(desired) });
  return { control: subject, applied };
}

describe("ConsumerControl: why the consumer is held, as one value", () => {
  it("starts consuming with no hold, and says what is wrong without cancelling anything", () => {
    const { control: subject, applied } = control();
    assert.equal(subject.current, "none");
    assert.equal(subject.desired, "consuming");
    assert.equal(subject.reason(true, false), "breaker_open");
    assert.equal(subject.reason(true, true), "publisher_blocked", "blocked wins over an open breaker");
    assert.equal(subject.reason(false, false), "none");
    assert.deepEqual(applied, []);
  });

  it("auto_ack: a full backlog pauses consuming, half of it resumes", () => {
    const { control: subject, applied } = control(true, 10);
    subject.heldChanged(9);
    assert.deepEqual(applied, []);
    subject.heldChanged(10);
    assert.equal(subject.current, "backlog");
    subject.heldChanged(6);
    assert.equal(subject.current, "backlog", "still above half");
    subject.heldChanged(5);
    assert.equal(subject.current, "none");
    assert.deepEqual(applied, ["paused", "consuming"]);
  });

  it("manual ack: prefetch bounds the backlog, the control never pauses for it", () => {
    const { control: subject, applied } = control(false, 10);
    subject.heldChanged(1_000);
    assert.equal(subject.current, "none");
    assert.deepEqual(applied, []);
  });

  it("handed back: paused; a starved probe consumes again; a closed breaker ends the hold", () => {
    const { control: subject, applied } = control();
    subject.handedBack();
    assert.equal(subject.current, "handed_back");
    assert.equal(subject.reason(true, false), "handed_back", "the hold is the reason shown");
    subject.probeStarved();
    assert.equal(subject.current, "probe_wanted");
    assert.equal(subject.reason(true, false), "breaker_open");
    subject.handedBack();
    assert.equal(subject.current, "handed_back", "handed back again while probing");
    subject.breakerClosed();
    assert.equal(subject.current, "none");
    assert.deepEqual(applied, ["paused", "consuming", "paused", "consuming"]);
  });

  it("a starved probe with no hold tells the session again what is wanted", () => {
    const { control: subject, applied } = control();
    subject.probeStarved();
    assert.equal(subject.current, "none");
    assert.deepEqual(applied, ["consuming"]);
  });

  it("a backlog hold is not replaced by a hand-back, and a closed breaker leaves it", () => {
    const { control: subject } = control(true, 2);
    subject.heldChanged(2);
    subject.handedBack();
    subject.breakerClosed();
    assert.equal(subject.current, "backlog");
  });

  it("draining is final: nothing moves it, and the session is told to stop", () => {
    const { control: subject, applied } = control(true, 2);
    subject.handedBack();
    subject.draining();
    assert.equal(subject.desired, "stopped");
    subject.heldChanged(0);
    subject.breakerClosed();
    subject.probeStarved();
    subject.heldChanged(5);
    subject.draining();
    assert.equal(subject.current, "draining");
    assert.equal(subject.reason(false, true), "draining");
    assert.deepEqual(
      applied,
      ["paused", "stopped", "stopped"],
      "a starved probe only repeats it; a second drain says nothing",
    );
  });

  it("reapply tells a new session what is wanted now", () => {
    const { control: subject, applied } = control();
    subject.handedBack();
    subject.reapply();
    assert.deepEqual(applied, ["paused", "paused"]);
  });
});
