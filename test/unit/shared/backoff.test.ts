import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_RECONNECT_DELAY_MS, reconnectDelayMs, retryDelayMs } from "../../../src/shared/backoff.js";

describe("reconnectDelayMs follows KrakenD's strategies", () => {
  const middle = () => 0.5; // no jitter
  it("linear: i seconds", () =>
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => reconnectDelayMs("linear", i, middle)),
      [0, 1000, 2000, 3000],
    ));
  it("exponential: 2^i seconds", () =>
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => reconnectDelayMs("exponential", i, middle)),
      [1000, 2000, 4000, 8000],
    ));
  it("fallback: a constant second", () =>
    assert.deepEqual(
      [0, 5, 50].map((i) => reconnectDelayMs("fallback", i)),
      [1000, 1000, 1000],
    ));
  it("jitter stays within ±33%", () => {
    assert.equal(
      reconnectDelayMs("exponential-jitter", 2, () => 0),
      Math.round(4000 * 0.67),
    );
    assert.equal(
      reconnectDelayMs("exponential-jitter", 2, () => 0.999999),
      Math.round(4000 * (1 + 0.999998 * 0.33)),
    );
    assert.equal(
      reconnectDelayMs("linear-jitter", 3, () => 0),
      Math.round(3000 * 0.67),
    );
  });
  it("is capped", () => assert.equal(reconnectDelayMs("exponential", 30, middle), MAX_RECONNECT_DELAY_MS));
});

describe("retryDelayMs", () => {
  it("grows exponentially with equal jitter and a cap", () => {
    assert.equal(
      retryDelayMs(1, { baseMs: 200, maxMs: 5000 }, () => 0),
      100,
    );
    assert.equal(
      retryDelayMs(1, { baseMs: 200, maxMs: 5000 }, () => 0.999),
      200,
    );
    assert.equal(
      retryDelayMs(3, { baseMs: 200, maxMs: 5000 }, () => 0),
      400,
    );
    assert.equal(
      retryDelayMs(20, { baseMs: 200, maxMs: 5000 }, () => 0.999),
      4998,
    );
  });
});
