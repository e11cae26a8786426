import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenBucket, waitUnlessAborted } from "../../../../src/backends/http/token-bucket.js";

describe("TokenBucket (qos/ratelimit/proxy)", () => {
  it("lets `capacity` requests go at once, then one per refill", () => {
    let now = 0;
    const bucket = new TokenBucket({ maxRate: 2, capacity: 3, everyMs: 1000 }, () => now);
    assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 0]);
    // 2 tokens a second: the 4th waits 500 ms, the 5th 1000 ms.
    assert.equal(bucket.reserve(), 500);
    assert.equal(bucket.reserve(), 1000);
    now = 1000;
    assert.equal(bucket.reserve(), 500);
  });

  it("refills up to capacity only", () => {
    let now = 0;
    const bucket = new TokenBucket({ maxRate: 5, capacity: 2, everyMs: 60_000 }, () => now);
    bucket.reserve();
    bucket.reserve();
    now = 3_600_000;
    assert.deepEqual([bucket.reserve(), bucket.reserve()], [0, 0]);
    assert.equal(bucket.reserve(), 12_000);
  });

  it("waits can be cut short by an abort", async () => {
    const abort = new AbortController();
    const waiting = waitUnlessAborted(60_000, abort.signal);
    abort.abort();
    await waiting;
    await waitUnlessAborted(60_000, abort.signal);
  });
});
