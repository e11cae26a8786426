import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConcurrencyLimit } from "../../../src/policy/concurrency-limit.js";

/** A limit on a hand-moved clock. */
function limit(max: number) {
  const clock = { now: 0 };
  return { limit: new ConcurrencyLimit(max, () => clock.now), clock };
}

function succeed(subject: ConcurrencyLimit, times: number): void {
  for (let i = 0; i < times; i++) subject.succeeded();
}

describe("ConcurrencyLimit (AIMD)", () => {
  it("starts at max", () => {
    assert.equal(limit(10).limit.limit, 10);
  });

  it("halves on a throttle, rounding down, never below 1", () => {
    const { limit: subject, clock } = limit(11);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      clock.now += 10;
      assert.equal(subject.throttled(clock.now), true);
      seen.push(subject.limit);
    }
    assert.deepEqual(seen, [5, 2, 1, 1, 1]);
  });

  it("a call started before the last decrease does not decrease again, and is no news", () => {
    const { limit: subject, clock } = limit(16);
    clock.now = 100;
    assert.equal(subject.throttled(50), true);
    assert.equal(subject.limit, 8);
    for (const startedAt of [0, 50, 99]) assert.equal(subject.throttled(startedAt), false);
    assert.equal(subject.limit, 8, "the calls of the same round said nothing new");
    assert.equal(subject.throttled(100), true, "a call started at the decrease is news");
    assert.equal(subject.limit, 4);
  });

  it("at 1, a throttle of a call started after the decrease is still news", () => {
    const { limit: subject, clock } = limit(1);
    clock.now = 10;
    assert.equal(subject.throttled(10), true);
    assert.equal(subject.limit, 1);
    clock.now = 20;
    assert.equal(subject.throttled(15), true);
  });

  it("raises the limit by one per `limit` successes", () => {
    const { limit: subject, clock } = limit(10);
    clock.now = 1;
    subject.throttled(1);
    clock.now = 2;
    subject.throttled(2);
    assert.equal(subject.limit, 2);
    succeed(subject, 1);
    assert.equal(subject.limit, 2);
    succeed(subject, 1);
    assert.equal(subject.limit, 3, "2 successes at limit 2");
    succeed(subject, 2);
    assert.equal(subject.limit, 3);
    succeed(subject, 1);
    assert.equal(subject.limit, 4, "3 successes at limit 3");
  });

  it("never rises above max", () => {
    const { limit: subject, clock } = limit(4);
    clock.now = 1;
    subject.throttled(1);
    succeed(subject, 1_000);
    assert.equal(subject.limit, 4);
  });

  it("a throttle forgets the successes counted towards the next increase", () => {
    const { limit: subject, clock } = limit(8);
    clock.now = 1;
    subject.throttled(1);
    assert.equal(subject.limit, 4);
    succeed(subject, 3);
    clock.now = 2;
    subject.throttled(2);
    assert.equal(subject.limit, 2);
    succeed(subject, 1);
    assert.equal(subject.limit, 2, "the 3 earlier successes do not count");
  });
});
