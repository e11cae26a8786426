import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { callReport, happen, heldMessage, turn } from "./fakes.js";
import { schedulerHarness } from "./scheduler-harness.js";

const platformDown = callReport("server_error", "systemic");

/** A harness whose breaker (threshold 2, first probe after 1 s) the test opened by hand. */
function openedHarness(t: Parameters<typeof schedulerHarness>[0]) {
  const h = schedulerHarness(t);
  h.breaker.recordSystemic("down");
  h.breaker.recordSystemic("down");
  assert.equal(h.breaker.state, "open");
  return h;
}

describe("Scheduler and the circuit breaker", () => {
  it("consecutive platform failures open it: nothing more starts until the probe is due", async (t) => {
    const h = schedulerHarness(t);
    const [m1, m2] = h.admit({}, {});
    await h.answer(0, happen.platform, platformDown);
    assert.deepEqual(h.runs[1]?.batch, [m2]);
    await h.answer(1, happen.platform, platformDown);
    assert.equal(h.breaker.state, "open");
    await h.clock.tick(999);
    assert.equal(h.runs.length, 2, "m1's backoff is over, but the breaker is open");
    await h.clock.tick(1);
    assert.deepEqual(h.runs[2]?.batch, [m1], "one probe, with one message");
    assert.equal(h.breaker.state, "half_open");
    assert.deepEqual(
      h.transitions.map((change) => `${change.to}:${change.cause}`),
      ["open:platform_failures", "half_open:probe_started"],
    );
  });

  it("a probe that succeeds closes it, and the held messages run again", async (t) => {
    const h = openedHarness(t);
    const [m1, m2] = h.admit({}, {});
    assert.equal(h.runs.length, 0);
    await h.clock.tick(1_000);
    await h.answer(0, happen.succeeded);
    assert.equal(h.breaker.state, "closed");
    assert.equal(h.settled[0]?.held, m1);
    assert.deepEqual(h.runs[1]?.batch, [m2]);
  });

  it("a failed probe keeps the message uncharged; the next probe waits twice as long", async (t) => {
    const h = openedHarness(t);
    const [m1] = h.admit({});
    await h.clock.tick(1_000);
    await h.answer(0, happen.functionError, callReport("function_error", "ambiguous"));
    assert.equal(h.breaker.state, "open");
    assert.equal(m1?.attempts, 0, "a function error while the breaker is open is the platform's");
    assert.equal(m1?.phase, "waiting");
    await h.clock.tick(1_999);
    assert.equal(h.runs.length, 1);
    await h.clock.tick(1);
    assert.equal(h.runs.length, 2);
  });

  it("probes rotate over the held messages: the one probed longest ago goes next", async (t) => {
    const h = openedHarness(t);
    const [a, b, c] = h.admit({}, {}, {});
    const probed = [];
    let wait = 1_000;
    for (let probe = 0; probe < 4; probe++) {
      await h.clock.tick(wait);
      probed.push(h.runs[probe]?.batch[0]);
      await h.answer(probe, happen.platform, platformDown);
      wait = Math.min(wait * 2, 8_000);
    }
    assert.deepEqual(probed, [a, b, c, a]);
  });

  it("a probe whose message said nothing (its own failure) is followed by another probe at once", async (t) => {
    const h = openedHarness(t);
    const [m1, m2] = h.admit({}, {});
    await h.clock.tick(1_000);
    await h.answer(0, happen.own, callReport("bad_request", "message"));
    assert.deepEqual(h.steps(), ["dead_letter"], "m1 fails on its own");
    assert.equal(h.settled[0]?.held, m1);
    assert.deepEqual(h.runs[1]?.batch, [m2], "probing again without waiting");
  });

  it("a probe is starved when the breaker wants one and nothing is held", async (t) => {
    const h = openedHarness(t);
    h.admit({});
    assert.equal(h.scheduler.giveBackWaiting(), 1);
    await turn();
    await h.clock.tick(1_000);
    assert.equal(h.probeStarved, 1);
    assert.equal(h.runs.length, 0);
    const [arrived] = h.admit({});
    assert.deepEqual(h.runs[0]?.batch, [arrived], "the next message to arrive is the probe");
  });

  it("a probe is not starved while a held message is only waiting out its backoff", async (t) => {
    const h = openedHarness(t);
    const later = heldMessage({ session: h.session, receivedAt: h.clock.now() });
    later.readyAt = h.clock.now() + 5_000;
    h.scheduler.admit(later);
    await h.clock.tick(1_000);
    assert.equal(h.probeStarved, 0);
    assert.equal(h.runs.length, 0);
    await h.clock.tick(4_000);
    assert.deepEqual(h.runs[0]?.batch, [later]);
  });
});
