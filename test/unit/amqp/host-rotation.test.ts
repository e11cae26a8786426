import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HostRotation } from "../../../src/amqp/host-rotation.js";

/** Plays failed attempts until the rotation waits or gives up; returns the nodes tried and the step. */
function failRound(rotation: HostRotation) {
  const tried: number[] = [];
  for (;;) {
    tried.push(rotation.next());
    const step = rotation.attemptFailed();
    if (step.action !== "next") return { tried, step };
  }
}

describe("HostRotation: the node to try next, and when", () => {
  it("tries every node once, in order, before the first backoff", () => {
    const rotation = new HostRotation(3, Number.POSITIVE_INFINITY, "linear");
    const { tried, step } = failRound(rotation);
    assert.deepEqual(tried, [0, 1, 2]);
    assert.deepEqual(step, { action: "wait", delayMs: 0, round: 1 }, "linear: 0 s before round 2");
    assert.deepEqual(failRound(rotation), {
      tried: [0, 1, 2],
      step: { action: "wait", delayMs: 1000, round: 2 },
    });
  });

  it("max_retries counts rounds over the list, not attempts", () => {
    const rotation = new HostRotation(2, 2, "fallback");
    assert.equal(failRound(rotation).step.action, "wait");
    assert.equal(failRound(rotation).step.action, "wait");
    const last = failRound(rotation);
    assert.deepEqual(last.tried, [0, 1]);
    assert.deepEqual(last.step, { action: "give_up", rounds: 3 });
  });

  it("a connection that lasted and was lost goes on to the next node at once, then the others", () => {
    const rotation = new HostRotation(3, Number.POSITIVE_INFINITY, "exponential");
    assert.equal(rotation.next(), 0);
    assert.deepEqual(rotation.connectionEnded(true), { action: "next" });
    const { tried, step } = failRound(rotation);
    assert.deepEqual(tried, [1, 2, 0], "the next node first, the lost one last");
    assert.deepEqual(step, { action: "wait", delayMs: 1000, round: 1 }, "exponential: 2^0 s");
  });

  it("a success resets the rounds; one node is retried at once after a loss", () => {
    const rotation = new HostRotation(1, 1, "exponential");
    failRound(rotation);
    rotation.next();
    assert.deepEqual(rotation.connectionEnded(true), { action: "next" });
    assert.equal(rotation.next(), 0);
    assert.deepEqual(
      rotation.attemptFailed(),
      { action: "wait", delayMs: 1000, round: 1 },
      "back to the first round",
    );
  });

  it("a connection dropped at once counts as a failed attempt (no spin without backoff)", () => {
    const rotation = new HostRotation(2, Number.POSITIVE_INFINITY, "fallback");
    rotation.next();
    assert.deepEqual(rotation.connectionEnded(false), { action: "next" });
    rotation.next();
    assert.deepEqual(rotation.connectionEnded(false), { action: "wait", delayMs: 1000, round: 1 });
  });
});
