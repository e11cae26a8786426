import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEAD_LETTER_ROUTING_KEY } from "../../../src/amqp/topology.js";
import { AGENT_HEADERS } from "../../../src/copies/agent-headers.js";
import type { Decision } from "../../../src/policy/decide.js";
import { agentConfig, failure, fakeClock, LEVEL, retryState, turn } from "./fakes.js";
import { settlerHarness } from "./settler-harness.js";

const withRetries = () => agentConfig({ amqp: { retry_delays: ["1s"] } });
const autoAck = () => agentConfig({ amqp: { auto_ack: true } });
const deadLetter: Decision = { step: { do: "dead_letter" }, charge: "attempt", ended: "failed" };
const boom = failure("function_error", "Boom", "it broke");

/** A message back from its first retry queue (2 attempts then), with 1 attempt in this round. */
function secondRound(h: ReturnType<typeof settlerHarness>, deliveryTag: number) {
  const held = h.held({
    deliveryTag,
    retry: retryState({ round: 1, attemptsBefore: 2, origin: { exchange: "first", routingKey: "rk.first" } }),
  });
  held.attempts = 1;
  return held;
}

describe("Settler: dead-letter and retry copies", () => {
  it("a dead letter is published with the failure in its headers, then the original is acked", async () => {
    const h = settlerHarness();
    await h.settler.settle(secondRound(h, 3), deadLetter, boom);
    const [copy] = h.publisher.published;
    assert.equal(copy?.exchange, "krakend.agent", "through the agent's exchange");
    assert.equal(copy?.routingKey, DEAD_LETTER_ROUTING_KEY);
    const headers = copy?.options.headers ?? {};
    assert.equal(headers[AGENT_HEADERS.errorType], "Boom");
    assert.equal(headers[AGENT_HEADERS.attempts], 3, "earlier rounds' attempts and this round's");
    assert.equal(headers[AGENT_HEADERS.functionName], "fake-fn");
    assert.equal(headers[AGENT_HEADERS.exchange], "first");
    assert.equal(headers[AGENT_HEADERS.queue], h.config.amqp.queue);
    assert.deepEqual(h.own.calls, [["ack", 3]], "acked after the confirm");
    assert.equal(await h.read("messages_dead_lettered_total"), 1);
    assert.equal(await h.read("messages_failed_total"), 1);
    const warned = h.lines.find((line) => line.level === LEVEL.warn)?.msg ?? "";
    assert.match(warned, /dead-lettered to krakend\.dlq after 3 attempt\(s\): Boom: it broke/);
  });

  it("a retry copy goes to its retry queue with one more round, then the original is acked", async () => {
    const config = withRetries();
    const h = settlerHarness(config);
    const step = config.amqp.retrySteps[0];
    assert.ok(step);
    await h.settler.settle(h.held(), { step: { do: "retry_queue", step, round: 1 }, ended: "failed" }, boom);
    const [copy] = h.publisher.published;
    assert.equal(copy?.routingKey, step.routingKey);
    assert.equal(copy?.options.headers?.[AGENT_HEADERS.retryCount], 1);
    assert.deepEqual(h.own.methods, ["ack"]);
    assert.equal(await h.read("messages_delayed_total"), 1);
    assert.equal(await h.read("messages_dead_lettered_total"), 0);
  });

  it("a dead letter without a recorded failure says so", async () => {
    const h = settlerHarness();
    await h.settler.settle(h.held(), deadLetter);
    assert.equal(h.publisher.published[0]?.options.headers?.[AGENT_HEADERS.errorType], "Unknown");
  });

  it("auto_ack: the copy is published and nothing is acked (the broker forgot the message)", async () => {
    const h = settlerHarness(autoAck());
    await h.settler.settle(h.held(), deadLetter, boom);
    assert.equal(h.publisher.published.length, 1);
    assert.deepEqual(h.own.calls, []);
  });

  it("auto_ack with its own channel closed: the copy still goes out on the publishing connection", async () => {
    const h = settlerHarness(autoAck());
    h.own.alive = false;
    await h.settler.settle(h.held(), deadLetter, boom);
    assert.equal(h.publisher.published.length, 1);
    assert.deepEqual(h.asked, [], "no fallback: the consuming channel plays no part in a copy");
    assert.equal(await h.read("messages_dead_lettered_total"), 1);
    assert.equal(await h.read("messages_lost_total"), 0);
  });
});

describe("Settler: set-aside copies (a failed probe while the breaker is open on function errors)", () => {
  const setAside: Decision = { step: { do: "set_aside" }, charge: "attempt" };

  it("goes through the set-aside route with its round, attempts and first origin, then the original is acked", async () => {
    const h = settlerHarness();
    await h.settler.settle(secondRound(h, 8), setAside, boom);
    const [copy] = h.publisher.published;
    assert.deepEqual([copy?.exchange, copy?.routingKey], ["krakend.agent", "retry.setaside"]);
    const headers = copy?.options.headers ?? {};
    assert.deepEqual(
      [
        headers[AGENT_HEADERS.setAside],
        headers[AGENT_HEADERS.roundAttempts],
        headers[AGENT_HEADERS.attempts],
        headers[AGENT_HEADERS.retryCount],
        headers[AGENT_HEADERS.exchange],
        headers[AGENT_HEADERS.routingKey],
      ],
      [1, 1, 3, 1, "first", "rk.first"],
    );
    assert.deepEqual(h.own.calls, [["ack", 8]]);
    assert.equal(await h.read("messages_set_aside_total"), 1);
    assert.equal(await h.read("messages_failed_total"), 0, "not an end: it comes back");
    const warned = h.lines.find((line) => line.level === LEVEL.warn)?.msg ?? "";
    assert.match(
      warned,
      /set aside behind the queue's tail \(through krakend\.retry\.setaside\) after a failed probe/,
    );
  });

  it("with several backends, retry and set-aside copies carry the ones already done; dead letters do not", async () => {
    const h = settlerHarness(withRetries());
    const step = h.config.amqp.retrySteps[0];
    assert.ok(step);
    const decisions: Decision[] = [
      setAside,
      { step: { do: "retry_queue", step, round: 1 }, ended: "failed" },
      deadLetter,
    ];
    for (const decision of decisions) {
      const held = h.held();
      held.backendsDone.add(2);
      held.backendsDone.add(0);
      await h.settler.settle(held, decision, boom);
    }
    assert.deepEqual(
      h.publisher.published.map((copy) => copy.options.headers?.[AGENT_HEADERS.backendsDone]),
      [[0, 2], [0, 2], undefined],
    );
  });

  it("without a set-aside route (not expected) the copy is still tried; unroutable, it goes back after requeue_delay", async (t) => {
    const clock = fakeClock(t);
    const h = settlerHarness(agentConfig({ amqp: { circuit_breaker: { enabled: false } } }));
    h.publisher.answer = async () => "unroutable";
    const settled = h.settler.settle(h.held(), setAside, boom);
    await turn();
    assert.equal(h.publisher.published[0]?.routingKey, "retry.setaside");
    await clock.tick(h.config.amqp.requeueDelayMs);
    await settled;
    assert.deepEqual(h.own.methods, ["giveBack"]);
  });
});

describe("Settler: a copy that fails falls back through decide", () => {
  it("its channel closed (manual ack): left to the broker, nothing published", async () => {
    const h = settlerHarness();
    h.own.alive = false;
    await h.settler.settle(h.held(), deadLetter, boom);
    assert.equal(h.publisher.published.length, 0);
    assert.deepEqual(
      h.asked.map((a) => [a.happening, a.decision.step.do]),
      [[{ kind: "copy_failed", cause: "channel_closed" }, "leave_to_broker"]],
    );
    assert.equal(await h.read("messages_unsettled_total"), 1);
  });

  it("the publish fails (nack, timeout): given back at once, and logged", async () => {
    const h = settlerHarness();
    h.publisher.answer = () => Promise.reject(new Error("nacked by the broker"));
    await h.settler.settle(h.held(), deadLetter, boom);
    assert.equal(h.asked[0]?.happening.kind, "copy_failed");
    assert.deepEqual(h.asked[0]?.happening, { kind: "copy_failed", cause: "error" });
    assert.deepEqual(h.own.methods, ["giveBack"]);
    assert.equal(await h.read("messages_dead_lettered_total"), 0);
    assert.equal(await h.read("messages_returned_total"), 1);
    const logged = h.lines.find((line) => line.level === LEVEL.error)?.msg ?? "";
    assert.match(
      logged,
      /could not publish a failed message \(dead_letter\): nacked by the broker; it goes back/,
    );
  });

  it("the publish fails under auto_ack: lost, and the log says so", async () => {
    const h = settlerHarness(autoAck());
    h.publisher.answer = () => Promise.reject(new Error("timeout"));
    await h.settler.settle(h.held(), deadLetter, boom);
    assert.equal(h.asked[0]?.decision.step.do, "lost");
    assert.equal(await h.read("messages_lost_total"), 1);
    assert.ok(h.lines.some((line) => /with auto_ack it is lost/.test(line.msg)));
  });

  it("unroutable (no binding): given back after requeue_delay, not acked", async (t) => {
    const clock = fakeClock(t);
    const h = settlerHarness();
    h.publisher.answer = async () => "unroutable";
    const settled = h.settler.settle(h.held(), deadLetter, boom);
    await turn();
    await clock.tick(h.config.amqp.requeueDelayMs - 1);
    assert.deepEqual(h.own.calls, []);
    await clock.tick(1);
    await settled;
    assert.deepEqual(h.own.methods, ["giveBack"]);
    assert.deepEqual(h.asked[0]?.happening, { kind: "copy_failed", cause: "unroutable" });
    assert.ok(h.lines.some((line) => /routes "dead-letter" nowhere \(binding missing\?\)/.test(line.msg)));
  });
});
