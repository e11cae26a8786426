import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AgentConfig } from "../../../src/config/types.js";
import type { ReplyPublish } from "../../../src/copies/reply-message.js";
import type { HeldMessage } from "../../../src/held/held-message.js";
import { LogThrottle } from "../../../src/observability/log-throttle.js";
import { CircuitBreaker } from "../../../src/policy/circuit-breaker.js";
import { decide, type Happening, policyOf } from "../../../src/policy/decide.js";
import { ReplySender } from "../../../src/settle/reply-sender.js";
import {
  agentConfig,
  BREAKER_CONFIG,
  FakeSession,
  fakeClock,
  heldMessage,
  LEVEL,
  recordingLog,
  testMetrics,
  turn,
} from "./fakes.js";

const EXCHANGE_MODE = { reply: { mode: "exchange", exchange: "results" } };
const REPLY_TO_MODE = { reply: { mode: "reply_to" } };

/** An AMQP channel error as amqplib gives it (the reply code on `code`). */
const channelError = (code: number) => Object.assign(new Error(`closed with ${code}`), { code });

/** A ReplySender over a scripted publisher, a real breaker on a fake clock and the real `decide`. */
function harness(now: () => number, config: AgentConfig = agentConfig({ amqp: EXCHANGE_MODE })) {
  const { metrics, read } = testMetrics();
  const { log, lines } = recordingLog();
  const breaker = new CircuitBreaker({ ...BREAKER_CONFIG, enabled: config.amqp.circuitBreaker.enabled }, now);
  const policy = policyOf(config.amqp, 2, (n) => 100 * n);
  const published: ReplyPublish[] = [];
  const answers: Array<() => Promise<"confirmed" | "unroutable">> = [];
  const sender = new ReplySender({
    publish: (reply) => {
      published.push(reply);
      return (answers.shift() ?? (async () => "confirmed"))();
    },
    breaker,
    metrics,
    log,
    throttle: new LogThrottle(),
    now,
    decide: (held: HeldMessage, happening: Happening) =>
      decide(
        happening,
        {
          attempts: 0,
          setbacks: 0,
          retryRound: 0,
          maxBatch: 1,
          breaker: breaker.state,
          openedBy: undefined,
          probe: false,
          ordered: false,
          draining: false,
          channelAlive: held.session.alive,
          replyDue: held.reply !== undefined,
          replyFailures: held.replyFailures,
        },
        policy,
      ),
  });
  const session = new FakeSession();
  const held = (exchange = "results") => {
    const message = heldMessage({ session });
    message.reply = {
      exchange,
      routingKey: "done",
      content: Buffer.from("{}"),
      options: { mandatory: exchange !== "" },
    };
    return message;
  };
  return { sender, breaker, published, answers, read, lines, session, held };
}

const fail = (error: Error) => async (): Promise<never> => {
  throw error;
};

describe("ReplySender: a reply is confirmed before its message is acked", () => {
  it("a confirmed reply: ack, counted, its latency observed", async (t) => {
    const clock = fakeClock(t);
    const h = harness(clock.now);
    const step = await h.sender.send(h.held(), 0);
    assert.deepEqual(step, { do: "ack" });
    assert.equal(h.published.length, 1);
    assert.equal(await h.read("replies_published_total"), 1);
    assert.equal(await h.read("reply_publish_duration_seconds_count"), 1);
    assert.equal(h.sender.held, 0);
  });

  it("a failed publish is tried again after the backoff with the same result; reasons are counted", async (t) => {
    const clock = fakeClock(t);
    const h = harness(
      clock.now,
      agentConfig({ amqp: { ...EXCHANGE_MODE, circuit_breaker: { enabled: false } } }),
    );
    h.answers.push(
      fail(channelError(404)),
      fail(new Error("the broker did not confirm")),
      fail(channelError(403)),
    );
    const held = h.held();
    const sent = h.sender.send(held, 0);
    await turn();
    assert.equal(h.published.length, 1);
    assert.equal(h.sender.held, 1, "held while its reply waits");
    await clock.tick(99);
    assert.equal(h.published.length, 1, "not before the backoff");
    await clock.tick(1);
    await clock.tick(200);
    await clock.tick(300);
    assert.deepEqual(await sent, { do: "ack" });
    assert.equal(h.published.length, 4);
    assert.ok(
      h.published.every((reply) => reply === held.reply),
      "the same reply, never a new invocation",
    );
    assert.equal(held.replyFailures, 3);
    assert.equal(await h.read("reply_failures_total", { reason: "exchange_not_found" }), 1);
    assert.equal(await h.read("reply_failures_total", { reason: "error" }), 1);
    assert.equal(await h.read("reply_failures_total", { reason: "refused" }), 1);
    const warnings = h.lines.filter((line) => line.level === LEVEL.warn).map((line) => line.msg);
    assert.match(warnings[0] ?? "", /could not publish a reply to exchange "results".*not invoked again/);
  });

  it("exchange mode: a return (no binding) is retried, not dropped", async (t) => {
    const clock = fakeClock(t);
    const h = harness(clock.now);
    h.answers.push(async () => "unroutable");
    const sent = h.sender.send(h.held(), 0);
    await turn();
    await clock.tick(100);
    assert.deepEqual(await sent, { do: "ack" });
    assert.equal(h.published.length, 2);
    assert.equal(await h.read("reply_failures_total", { reason: "unroutable" }), 1);
  });

  it("reply_to mode: a return means the requester went away; dropped, counted, logged, acked", async (t) => {
    const clock = fakeClock(t);
    const h = harness(clock.now, agentConfig({ amqp: REPLY_TO_MODE }));
    h.answers.push(
      async () => "unroutable",
      async () => "unroutable",
      async () => "unroutable",
    );
    for (let i = 0; i < 3; i++) assert.deepEqual(await h.sender.send(h.held(""), 0), { do: "ack" });
    assert.equal(h.published.length, 3, "never published again");
    assert.equal(await h.read("reply_failures_total", { reason: "unroutable" }), 3);
    assert.equal(h.breaker.state, "closed", "a departed client is no platform failure");
    assert.match(h.lines.find((line) => line.level === LEVEL.warn)?.msg ?? "", /requester went away/);
  });

  it("persisting failures open the breaker; its probe is the next reply, which closes it", async (t) => {
    const clock = fakeClock(t);
    const h = harness(clock.now);
    h.answers.push(fail(channelError(404)), fail(channelError(404)), fail(channelError(404)));
    const sent = h.sender.send(h.held(), 0);
    await turn();
    await clock.tick(100);
    assert.equal(h.breaker.state, "open", "two failures in a row (failure_threshold 2)");
    assert.equal(h.breaker.openReason?.cause, "platform_failures");
    assert.equal(h.sender.wantsProbe, true, "the probe is a reply's, not an invocation's");
    await clock.tick(200);
    assert.equal(h.published.length, 2, "waits for the probe while open");
    await clock.tick(800);
    assert.equal(h.published.length, 3, "the probe");
    assert.equal(h.breaker.state, "open", "the probe failed");
    await clock.tick(300);
    await clock.tick(2_000);
    assert.deepEqual(await sent, { do: "ack" });
    assert.equal(h.published.length, 4);
    assert.equal(h.breaker.state, "closed", "a confirmed probe closes it");
    assert.equal(h.sender.wantsProbe, false);
  });

  it("opened by the backend's platform failures: replies go on, and a confirmed one neither probes nor closes it", async (t) => {
    const clock = fakeClock(t);
    const h = harness(clock.now);
    h.breaker.recordSystemic("TooManyRequestsException");
    h.breaker.recordSystemic("TooManyRequestsException");
    assert.equal(h.breaker.state, "open");
    const sent = h.sender.send(h.held(), 0);
    assert.equal(h.sender.wantsProbe, false, "an invocation probes the backend, not a reply");
    assert.deepEqual(await sent, { do: "ack" });
    assert.equal(h.published.length, 1, "published at once, without waiting for the probe time");
    assert.equal(h.breaker.state, "open", "a reply's route working says nothing about the backend");
    await clock.tick(1_000);
    assert.equal(h.breaker.admits(), "probe", "the probe is still the backend's to take");
  });

  it("open on function errors: replies go on (their route is not what failed)", async (t) => {
    const clock = fakeClock(t);
    const h = harness(clock.now);
    h.breaker.recordFunctionErrors([1, 2, 3, 4], "boom");
    assert.equal(h.breaker.state, "open");
    assert.deepEqual(await h.sender.send(h.held(), 0), { do: "ack" });
    assert.equal(h.breaker.state, "open", "a reply says nothing about the function");
  });

  it("the drain timeout gives up a waiting reply: left to the broker (lost with auto_ack), counted", async (t) => {
    const clock = fakeClock(t);
    for (const [amqp, expected] of [
      [EXCHANGE_MODE, "leave_to_broker"],
      [{ ...EXCHANGE_MODE, auto_ack: true }, "lost"],
    ] as const) {
      const h = harness(clock.now, agentConfig({ amqp }));
      h.answers.push(fail(new Error("no connection")));
      const sent = h.sender.send(h.held(), 0);
      await turn();
      h.sender.abandon();
      assert.deepEqual(await sent, { do: expected });
      assert.equal(await h.read("reply_failures_total", { reason: "abandoned" }), 1);
    }
  });

  it("the channel that delivered it closed: its reply is not published (the broker redelivers it)", async (t) => {
    const clock = fakeClock(t);
    const h = harness(clock.now);
    h.answers.push(fail(new Error("no connection")));
    const sent = h.sender.send(h.held(), 0);
    await turn();
    h.session.alive = false;
    await clock.tick(100);
    assert.deepEqual(await sent, { do: "leave_to_broker" });
    assert.equal(h.published.length, 1);
  });

  it("with auto_ack a closed channel does not stop the reply", async (t) => {
    const clock = fakeClock(t);
    const h = harness(clock.now, agentConfig({ amqp: { ...EXCHANGE_MODE, auto_ack: true } }));
    h.session.alive = false;
    assert.deepEqual(await h.sender.send(h.held(), 0), { do: "nothing" });
    assert.equal(h.published.length, 1);
  });

  it("a first delay is waited before the first publish", async (t) => {
    const clock = fakeClock(t);
    const h = harness(clock.now);
    const sent = h.sender.send(h.held(), 500);
    await clock.tick(499);
    assert.equal(h.published.length, 0);
    await clock.tick(1);
    assert.deepEqual(await sent, { do: "ack" });
  });
});
