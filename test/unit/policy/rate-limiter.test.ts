import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RateLimiter } from "../../../src/policy/rate-limiter.js";

describe("RateLimiter", () => {
  it("lets a second's worth through, then spaces messages at the rate", () => {
    let now = 0;
    const limiter = new RateLimiter(10, () => now);
    const waits = Array.from({ length: 12 }, () => limiter.reserve(1));
    assert.deepEqual(waits.slice(0, 10), Array(10).fill(0));
    assert.equal(waits[10], 100);
    assert.equal(waits[11], 200);
    now = 1000;
    assert.equal(limiter.reserve(1), 0);
  });
  it("counts a batch as its number of messages", () => {
    const limiter = new RateLimiter(5, () => 0);
    assert.equal(limiter.reserve(5), 0);
    assert.equal(limiter.reserve(5), 1000);
  });
  it("0 means unlimited", () => {
    const limiter = new RateLimiter(0, () => 0);
    assert.equal(limiter.reserve(1_000_000), 0);
  });
});
