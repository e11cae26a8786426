import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Failure } from "../../../src/backends/backend.js";
import type { HeldMessage } from "../../../src/held/held-message.js";
import { HeldMessages } from "../../../src/held/held-messages.js";
import { Fates } from "../../../src/pipeline/fates.js";
import { CircuitBreaker } from "../../../src/policy/circuit-breaker.js";
import type { Decision, Policy } from "../../../src/policy/decide.js";
import type { Settler } from "../../../src/settle/settler.js";
import { UNTRACED_INVOCATION } from "../../../src/tracing/invocation-trace.js";
import {
  BREAKER_CONFIG,
  type Deferred,
  deferred,
  FakeSession,
  type HeldOptions,
  happen,
  heldMessage,
  LEVEL,
  recordingLog,
  testMetrics,
  testPolicy,
  turn,
} from "./fakes.js";

const NOW = 5_000;

/** Fates over real held messages and a real breaker; the settler records and finishes when told. */
function harness(options: { policy?: Partial<Policy>; released?: boolean } = {}) {
  const held = new HeldMessages();
  const settled: Array<{ held: HeldMessage; decision: Decision; failure?: Failure; done: Deferred<void> }> =
    [];
  const settler = {
    settle(message: HeldMessage, decision: Decision, failure?: Failure) {
      const done = deferred<void>();
      settled.push({ held: message, decision, failure, done });
      return done.promise;
    },
  } as unknown as Settler;
  const breaker = new CircuitBreaker(BREAKER_CONFIG, () => NOW);
  const released: number[] = [];
  const { metrics, read } = testMetrics();
  const { log, lines } = recordingLog();
  const state = { draining: false, done: 0 };
  const session = new FakeSession();
  const fates = new Fates({
    held,
    backend: options.released === false ? {} : { released: (message) => released.push(message.id) },
    policy: testPolicy(options.policy),
    breaker,
    settler,
    metrics,
    log,
    now: () => NOW,
    draining: () => state.draining,
    onDone: () => {
      state.done += 1;
    },
  });
  return {
    fates,
    held,
    breaker,
    settled,
    released,
    read,
    lines,
    state,
    session,
    /** A message that arrived and waits. */
    waiting(one: HeldOptions = {}): HeldMessage {
      const message = heldMessage({ session, ...one });
      held.add(message);
      return message;
    },
    /** A message in a backend call. */
    running(one: HeldOptions = {}): HeldMessage {
      const message = this.waiting(one);
      held.start([message]);
      return message;
    },
  };
}

/** Opens the breaker on function errors (4 of 4 messages failed). */
function openOnFunctionErrors(breaker: CircuitBreaker) {
  breaker.recordFunctionErrors([101, 102, 103, 104], "boom");
  assert.equal(breaker.openReason?.cause, "function_errors");
}

describe("Fates.apply: a decision carried out", () => {
  it("a charged retry: one more attempt, counted, ready after its backoff, waiting again", async () => {
    const h = harness();
    const m = h.running();
    const decision = h.fates.apply(m, happen.functionError);
    assert.deepEqual(decision.step, { do: "retry", delayMs: 100 });
    assert.equal(m.attempts, 1);
    assert.equal(m.readyAt, NOW + 100);
    assert.equal(m.phase, "waiting");
    assert.equal(await h.read("messages_retried_total"), 1);
    assert.deepEqual(h.settled, []);
  });

  it("the platform's failure: a setback, not an attempt, and not counted as a retry", async () => {
    const h = harness();
    const m = h.running();
    h.fates.apply(m, happen.platform);
    assert.deepEqual([m.attempts, m.setbacks], [0, 1]);
    assert.equal(await h.read("messages_retried_total"), 0);
  });

  it("a batch refused as too large: the message's largest batch is halved", () => {
    const h = harness();
    const m = h.running({ maxBatch: 10 });
    h.fates.apply(m, { kind: "split", batchSize: 4 });
    assert.equal(m.maxBatch, 2);
    assert.equal(m.phase, "waiting");
  });

  it("a waiting message retried stays where it is (not put back twice)", () => {
    const h = harness({ policy: { autoAck: true } });
    const m = h.waiting();
    h.fates.apply(m, { kind: "not_delivered" });
    assert.equal(m.phase, "waiting");
    assert.deepEqual(h.held.phaseCounts(), { waiting: 1, running: 0, settling: 0 });
  });

  it("keep changes nothing", () => {
    const h = harness({ policy: { autoAck: true } });
    const m = h.waiting();
    assert.deepEqual(h.fates.apply(m, { kind: "channel_lost" }).step, { do: "keep" });
    assert.equal(m.phase, "waiting");
    assert.deepEqual(h.settled, []);
  });

  it("any other step is settled with the happening's failure; at its end the message is done and released", async () => {
    const h = harness();
    const m = h.running();
    h.fates.apply(m, happen.own);
    assert.equal(m.phase, "settling");
    assert.deepEqual(h.settled[0]?.decision.step, { do: "dead_letter" });
    assert.equal(h.settled[0]?.failure?.errorType, "InvalidJsonBody");
    assert.deepEqual([h.state.done, h.released], [0, []], "nothing before the settlement ends");
    h.settled[0]?.done.resolve();
    await turn();
    assert.equal(m.phase, "done");
    assert.deepEqual(h.released, [m.id]);
    assert.equal(h.state.done, 1);
  });

  it("a settlement without a failure (a success, a give-back) gets none", () => {
    const h = harness();
    h.fates.apply(h.running(), happen.succeeded);
    h.fates.apply(h.waiting(), { kind: "give_back_requested" });
    assert.deepEqual(
      h.settled.map((s) => [s.decision.step.do, s.failure]),
      [
        ["ack", undefined],
        ["give_back", undefined],
      ],
    );
  });

  it("a settlement that fails is logged with the message's trace id; the message is done all the same", async () => {
    const h = harness();
    const m = h.running();
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    m.trace = { ...UNTRACED_INVOCATION, copyHeaders: () => ({ traceparent }) };
    h.fates.apply(m, happen.succeeded);
    h.settled[0]?.done.reject(new Error("channel gone"));
    await turn();
    assert.equal(m.phase, "done");
    assert.equal(h.state.done, 1);
    const logged = h.lines.find((line) => line.level === LEVEL.error);
    assert.equal(logged?.msg, "settling a message failed; the broker redelivers it");
    assert.equal(logged?.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  });

  it("a backend that keeps nothing per message is not told", async () => {
    const h = harness({ released: false });
    const m = h.running();
    h.fates.apply(m, happen.succeeded);
    h.settled[0]?.done.resolve();
    await turn();
    assert.equal(m.phase, "done");
  });
});

describe("Fates.decide: the situation handed to decide", () => {
  it("without a call's context: the breaker as it is now, and no probe", () => {
    const h = harness();
    const m = h.waiting();
    assert.equal(h.fates.decide(m, happen.functionError).charge, "attempt", "closed: charged");
    openOnFunctionErrors(h.breaker);
    assert.deepEqual(h.fates.decide(m, happen.functionError), {
      step: { do: "retry", delayMs: 0 },
      charge: "setback",
    });
  });

  it("the context of a call: what opened the breaker, and whether it was the probe", () => {
    const h = harness();
    assert.deepEqual(h.fates.context(false), { probe: false, breaker: "closed", openedBy: undefined });
    openOnFunctionErrors(h.breaker);
    h.breaker.startProbe();
    assert.deepEqual(h.fates.context(true), {
      probe: true,
      breaker: "half_open",
      openedBy: "function_errors",
    });
    const platform = harness();
    platform.breaker.recordSystemic("down");
    platform.breaker.recordSystemic("down");
    assert.equal(platform.fates.context(false).openedBy, "platform_failures");
  });

  it("a probe failing while open on function errors: set aside, or kept in its lane (ordered)", () => {
    const h = harness();
    openOnFunctionErrors(h.breaker);
    h.breaker.startProbe();
    const probe = h.fates.context(true);
    assert.deepEqual(h.fates.decide(h.waiting(), happen.functionError, probe), {
      step: { do: "set_aside" },
      charge: "attempt",
    });
    assert.deepEqual(h.fates.decide(h.waiting({ lane: "k" }), happen.functionError, probe), {
      step: { do: "retry", delayMs: 0 },
      charge: "attempt",
    });
  });

  it("draining and a dead channel are read from their sources", () => {
    const h = harness();
    const m = h.waiting();
    h.state.draining = true;
    assert.deepEqual(h.fates.decide(m, happen.functionError).step, { do: "give_back", delayMs: 0 });
    h.session.alive = false;
    assert.deepEqual(h.fates.decide(m, happen.succeeded).step, { do: "leave_to_broker" });
  });
});

describe("Fates.applyToWaiting", () => {
  it("applies to the waiting messages that match; counts those it settled, not those it kept", () => {
    const h = harness();
    const other = new FakeSession("other");
    const running = h.running();
    const [a, b] = [h.waiting(), h.waiting({ session: other })];
    assert.equal(
      h.fates.applyToWaiting((m) => m.session === h.session.asSession, { kind: "give_back_requested" }),
      1,
    );
    assert.deepEqual(
      h.settled.map((s) => s.held),
      [a],
    );
    assert.deepEqual([running.phase, b?.phase], ["running", "waiting"]);
    const autoAck = harness({ policy: { autoAck: true } });
    autoAck.waiting();
    assert.equal(
      autoAck.fates.applyToWaiting(() => true, { kind: "give_back_requested" }),
      0,
      "kept",
    );
  });
});
