import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IdleSignal } from "../../../src/pipeline/idle-signal.js";
import { fakeClock, turn } from "./fakes.js";

/** A signal over a count of held messages the test changes. */
function signal() {
  const state = { held: 0 };
  return { state, idle: new IdleSignal(() => state.held === 0) };
}

describe("IdleSignal", () => {
  it("idle already: true at once", async () => {
    assert.equal(await signal().idle.wait(1_000), true);
  });

  it("wakes every waiter when a check finds nothing held; a check while busy wakes nobody", async (t) => {
    fakeClock(t);
    const { state, idle } = signal();
    state.held = 2;
    const woken: boolean[] = [];
    for (const waiter of [idle.wait(5_000), idle.wait(5_000)]) void waiter.then((v) => woken.push(v));
    state.held = 1;
    idle.check();
    await turn();
    assert.deepEqual(woken, []);
    state.held = 0;
    idle.check();
    await turn();
    assert.deepEqual(woken, [true, true]);
  });

  it("false at the deadline, even when idle comes just after", async (t) => {
    const clock = fakeClock(t);
    const { state, idle } = signal();
    state.held = 1;
    const result = idle.wait(1_000);
    await clock.tick(999);
    state.held = 0;
    await clock.tick(1);
    assert.equal(await result, false, "nobody checked before the deadline");
    idle.check();
    assert.equal(await idle.wait(1_000), true);
  });

  it("woken before the deadline: true, and the deadline passing later changes nothing", async (t) => {
    const clock = fakeClock(t);
    const { state, idle } = signal();
    state.held = 1;
    const result = idle.wait(60_000);
    state.held = 0;
    idle.check();
    assert.equal(await result, true);
    await clock.tick(60_000);
    state.held = 1;
    const next = idle.wait(10);
    await clock.tick(10);
    assert.equal(await next, false, "a new wait has a deadline of its own");
  });
});
