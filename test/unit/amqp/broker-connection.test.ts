import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import amqplib, { type ConsumeMessage } from "amqplib";
import { BrokerConnection } from "../../../src/amqp/broker-connection.js";
import type { ConsumerSession } from "../../../src/amqp/consumer-session.js";
import { AgentError } from "../../../src/errors.js";
import { fakeMessage } from "../amqp-fixtures.js";
import {
  agentConfig,
  type Deferred,
  deferred,
  fakeClock,
  LEVEL,
  recordingLog,
  silentLog,
  turn,
} from "../pipeline/fakes.js";
import { FakeModel, NODES, replyError, settled } from "./fake-channel.js";

const A = { node: "a:5672", nodeIndex: 0 };
const B = { node: "b:5673", nodeIndex: 1 };

/**
 * A BrokerConnection on the fake clock (performance.now() follows it; the seed config's backoff is
 * `exponential`: 1 s, 2 s, 4 s…) whose `connect` answers when the test says, with a FakeModel. Its
 * events are recorded in order, errors by their message.
 */
function harness(
  t: TestContext,
  overrides: { hosts?: string[]; amqp?: Record<string, unknown>; connection?: Record<string, unknown> } = {},
) {
  const clock = fakeClock(t, 0);
  t.mock.method(performance, "now", () => Date.now());
  const config = agentConfig({
    amqp: { host: overrides.hosts ?? NODES, ...overrides.amqp },
    connection: overrides.connection,
  });
  const connects: Array<{ url: string; options: Record<string, unknown>; answer: Deferred<FakeModel> }> = [];
  const connect = (url: string, options: Record<string, unknown>) => {
    const answer = deferred<FakeModel>();
    connects.push({ url, options, answer });
    return answer.promise;
  };
  const { log, lines } = recordingLog();
  const deliveries: Array<[ConsumeMessage, ConsumerSession]> = [];
  const connection = new BrokerConnection({
    config,
    tls: {},
    log,
    onMessage: (message, session) => deliveries.push([message, session]),
    connect: connect as unknown as typeof amqplib.connect,
  });
  const events: unknown[][] = [];
  const sessions: ConsumerSession[] = [];
  const failures: AgentError[] = [];
  connection.on("session", (session, where) => {
    sessions.push(session);
    events.push(["session", where]);
  });
  connection.on("lost", (error) => events.push(["lost", error.message]));
  connection.on("reconnecting", ({ error, ...step }) => events.push(["reconnecting", step, error.message]));
  connection.on("failed", (error) => {
    failures.push(error);
    events.push(["failed", error.code]);
  });
  connection.on("blocked", (reason) => events.push(["blocked", reason]));
  connection.on("unblocked", () => events.push(["unblocked"]));
  return {
    connection,
    clock,
    connects,
    lines,
    deliveries,
    events,
    sessions,
    failures,
    /** The nodes asked so far, in order. */
    tried: () => connects.map((c) => c.url),
    warnings: (pattern: RegExp) => lines.filter((l) => l.level === LEVEL.warn && pattern.test(l.msg)),
    /** Connect #`index` (the latest) answers with `model`; its session is being set up, consume-ok not given. */
    async answer(model = new FakeModel(), index = connects.length - 1): Promise<FakeModel> {
      connects[index]?.answer.resolve(model);
      await turn();
      return model;
    },
    /** Connect #`index` (the latest) answers and its session starts consuming. */
    async accept(model = new FakeModel(), index = connects.length - 1): Promise<FakeModel> {
      await this.answer(model, index);
      model.confirmChannel.consumeOk(0, "ctag-1");
      await turn();
      return model;
    },
    async refuse(error = new Error("ECONNREFUSED"), index = connects.length - 1): Promise<void> {
      connects[index]?.answer.reject(error);
      await turn();
    },
  };
}

type Harness = ReturnType<typeof harness>;

/** A harness connected to the first node for `lastingMs`. */
async function connected(t: TestContext, overrides: Parameters<typeof harness>[1] = {}, lastingMs = 0) {
  const h = harness(t, overrides);
  h.connection.start();
  const model = await h.accept();
  await h.clock.tick(lastingMs);
  return { ...h, model, channel: model.confirmChannel };
}

/** Refuses a whole round: the pending connect and the one asked after it. */
async function refuseRound(h: Harness, error = new Error("ECONNREFUSED")): Promise<void> {
  for (const _ of NODES) await h.refuse(error);
}

describe("BrokerConnection: connecting", () => {
  it("connects to the first node as the consuming connection; its session hands deliveries on", async (t) => {
    const h = harness(t);
    assert.equal(h.connection.connectionState, "idle");
    h.connection.start();
    assert.equal(h.connection.connectionState, "connecting");
    assert.deepEqual(h.tried(), [NODES[0]]);
    const properties = h.connects[0]?.options.clientProperties as { connection_name: string };
    assert.match(properties.connection_name, /^amqp-lambda-agent:cool-agent:\d+$/);
    assert.equal(h.connects[0]?.options.noDelay, true);

    const model = await h.answer();
    assert.equal(h.connection.connectionState, "connecting", "not connected before consume-ok");
    assert.equal(h.connection.liveSession, undefined);
    model.confirmChannel.consumeOk(0, "ctag-1");
    await turn();
    assert.equal(h.connection.connectionState, "connected");
    assert.deepEqual(h.events, [["session", { ...A, failover: false }]]);
    assert.equal(h.connection.liveSession, h.sessions[0]);
    assert.equal(model.confirmChannel.consumes[0]?.queue, "krakend");

    const message = fakeMessage({ deliveryTag: 7 });
    model.confirmChannel.consumes[0]?.callback(message);
    assert.deepEqual(h.deliveries, [[message, h.sessions[0]]]);
  });

  it("connect is amqplib's unless one is given", (t) => {
    const tried: string[] = [];
    t.mock.method(amqplib, "connect", (url: string) => {
      tried.push(url);
      return new Promise(() => undefined);
    });
    const config = agentConfig({ amqp: { host: NODES } });
    new BrokerConnection({ config, tls: {}, log: silentLog, onMessage: () => undefined }).start();
    assert.deepEqual(tried, [NODES[0]]);
  });

  it("starts once", (t) => {
    const h = harness(t);
    h.connection.start();
    assert.throws(() => h.connection.start(), /cannot start a connection in state connecting/);
  });

  it("a node that refuses: the next is asked at once; the session names the node that answered", async (t) => {
    const h = harness(t);
    h.connection.start();
    await h.refuse();
    assert.deepEqual(h.tried(), NODES, "no delay before the second node");
    const [warning] = h.warnings(/cannot connect/);
    assert.equal(warning?.msg, "cannot connect to a:5672: ECONNREFUSED");
    assert.equal(warning?.node, "a:5672");
    assert.doesNotMatch(JSON.stringify(h.lines), /secret/);
    await h.accept();
    assert.deepEqual(
      h.events,
      [["session", { ...B, failover: false }]],
      "the first connection is no failover",
    );
    assert.equal(h.connection.connectionState, "connected");
  });

  it("a session that cannot be set up is a failed attempt: its connection is closed, the next node asked", async (t) => {
    const h = harness(t);
    h.connection.start();
    const model = new FakeModel();
    model.failures.set("assertQueue:krakend", replyError(406, "PRECONDITION_FAILED"));
    model.closeError = new Error("Connection closed (by the broker, meanwhile)");
    await h.answer(model);
    assert.equal(model.closes, 1);
    assert.deepEqual(h.tried(), NODES);
    assert.equal(h.warnings(/cannot connect to a:5672: queue "krakend"/).length, 1);
    assert.deepEqual(h.events, []);
    await h.refuse();
    await h.connection.close();
    assert.equal(model.closes, 1, "close() leaves a connection already given up alone");
  });

  it('"declare": false and the queue missing at start: failed at once, no retry loop', async (t) => {
    const h = harness(t, { amqp: { declare: false } });
    h.connection.start();
    const model = new FakeModel();
    model.failures.set("checkQueue:krakend", replyError(404, "NOT_FOUND"));
    await h.answer(model);
    assert.deepEqual(h.events, [["failed", "TOPOLOGY_MISSING"]]);
    assert.match(h.failures[0]?.message ?? "", /^queue "krakend" does not exist/);
    assert.equal(h.connection.connectionState, "closed");
    assert.equal(model.closes, 1);
    await h.clock.tick(60_000);
    assert.deepEqual(h.tried(), [NODES[0]]);
  });

  it('"declare": false and the queue missing after a failover: retried (a down node\'s queue answers 404)', async (t) => {
    const h = await connected(t, { amqp: { declare: false } }, 10_000);
    h.model.drop();
    await turn();
    const missing = new FakeModel();
    missing.failures.set("checkQueue:krakend", replyError(404, "NOT_FOUND"));
    await h.answer(missing);
    assert.deepEqual(h.tried(), [NODES[0], NODES[1], NODES[0]]);
    assert.deepEqual(h.failures, []);
  });
});

describe("BrokerConnection: losing the connection", () => {
  it("a lost connection: the next node at once, its session reported as a failover", async (t) => {
    const h = await connected(t, {}, 10_000);
    const first = h.sessions[0];
    h.model.emit("error", new Error("heartbeat timeout"));
    assert.equal(h.warnings(/^connection error on a:5672$/).length, 1);
    h.model.emit("close", new Error("CONNECTION_FORCED"));
    await turn();
    assert.equal(first?.alive, false, "its deliveries can no longer be settled");
    assert.equal(h.connection.liveSession, undefined);
    assert.equal(h.connection.connectionState, "connecting");
    assert.deepEqual(h.tried(), NODES);
    await h.accept();
    assert.deepEqual(h.events, [
      ["session", { ...A, failover: false }],
      ["lost", "CONNECTION_FORCED"],
      ["session", { ...B, failover: true }],
    ]);
  });

  it("a lost channel closes its connection, so the loop rebuilds everything", async (t) => {
    const h = await connected(t, {}, 10_000);
    h.channel.emit("close");
    await turn();
    assert.equal(h.model.closes, 1);
    assert.deepEqual(h.events.slice(1), [["lost", "channel closed"]]);
    assert.deepEqual(h.tried(), NODES);
  });

  it("only a whole round that failed waits the backoff delay, longer each round", async (t) => {
    const h = harness(t);
    h.connection.start();
    await h.refuse(new Error("ECONNREFUSED"));
    await h.refuse(new Error("ETIMEDOUT"));
    assert.deepEqual(h.events, [["reconnecting", { round: 1, delayMs: 1_000 }, "ETIMEDOUT"]]);
    assert.equal(h.connection.connectionState, "backing-off");
    await h.clock.tick(999);
    assert.equal(h.connects.length, 2);
    await h.clock.tick(1);
    assert.deepEqual(h.tried(), [...NODES, NODES[0]], "the new round starts where the list starts");
    assert.equal(h.connection.connectionState, "connecting");
    await h.refuse();
    await h.refuse();
    assert.deepEqual(h.events[1], ["reconnecting", { round: 2, delayMs: 2_000 }, "ECONNREFUSED"]);
  });

  it("max_retries rounds after the first, then failed: BROKER_UNREACHABLE names the nodes, not the credentials", async (t) => {
    const h = harness(t, { connection: { max_retries: 1 } });
    h.connection.start();
    await refuseRound(h);
    await h.clock.tick(1_000);
    await refuseRound(h, new Error("ETIMEDOUT"));
    assert.deepEqual(h.events, [
      ["reconnecting", { round: 1, delayMs: 1_000 }, "ECONNREFUSED"],
      ["failed", "BROKER_UNREACHABLE"],
    ]);
    const [failure] = h.failures;
    assert.ok(failure instanceof AgentError);
    assert.equal(
      failure.message,
      "gave up connecting to a:5672, b:5673 after 2 round(s) (connection.max_retries 1): ETIMEDOUT",
    );
    assert.equal((failure.cause as Error).message, "ETIMEDOUT");
    assert.equal(h.connection.connectionState, "closed");
    await h.clock.tick(60_000);
    assert.equal(h.connects.length, 4);
  });

  it("a connection lost within 5 s counts as a failed attempt of its round", async (t) => {
    const h = await connected(t, {}, 4_999);
    h.model.drop();
    await turn();
    await h.refuse();
    assert.deepEqual(h.tried(), NODES);
    assert.deepEqual(h.events.slice(2), [["reconnecting", { round: 1, delayMs: 1_000 }, "ECONNREFUSED"]]);
  });

  it("a connection that lasted 5 s starts a fresh round: every node is asked again before any wait", async (t) => {
    const h = await connected(t, {}, 5_000);
    h.model.drop();
    await turn();
    await h.refuse();
    assert.deepEqual(h.tried(), [...NODES, NODES[0]]);
    assert.deepEqual(h.events.slice(2), []);
  });

  it("a connection that lasted resets max_retries' count of failed rounds", async (t) => {
    const h = harness(t, { connection: { max_retries: 1 } });
    h.connection.start();
    await refuseRound(h);
    await h.clock.tick(1_000);
    const model = await h.accept();
    await h.clock.tick(5_000);
    model.drop();
    await turn();
    await refuseRound(h);
    assert.deepEqual(
      h.events.filter(([name]) => name !== "session" && name !== "lost"),
      [
        ["reconnecting", { round: 1, delayMs: 1_000 }, "ECONNREFUSED"],
        ["reconnecting", { round: 1, delayMs: 1_000 }, "ECONNREFUSED"],
      ],
    );
  });

  it("refusals are logged the first ten times, then every tenth; a connection starts the count again", async (t) => {
    const h = harness(t, {
      hosts: [NODES[0] as string],
      connection: { max_retries: 0, backoff_strategy: "fallback" },
    });
    h.connection.start();
    for (let attempt = 1; attempt <= 25; attempt += 1) {
      await h.refuse();
      await h.clock.tick(1_000);
    }
    assert.equal(h.connects.length, 26);
    assert.equal(h.warnings(/cannot connect/).length, 11, "attempts 1-10 and 20");
    const model = await h.accept();
    model.drop();
    await turn();
    await h.clock.tick(1_000);
    await h.refuse();
    assert.equal(h.warnings(/cannot connect/).length, 12);
  });
});

describe("BrokerConnection: the broker's resource alarm", () => {
  it("blocked and unblocked are passed on; blockedBy says why while it lasts", async (t) => {
    const h = await connected(t);
    assert.equal(h.connection.blockedBy, undefined);
    h.model.emit("blocked", "low on memory");
    assert.equal(h.connection.blockedBy, "low on memory");
    h.model.emit("unblocked");
    assert.equal(h.connection.blockedBy, undefined);
    assert.deepEqual(h.events.slice(1), [["blocked", "low on memory"], ["unblocked"]]);
  });

  it("a blocked connection that drops leaves nothing blocked while the next one is sought", async (t) => {
    const h = await connected(t, {}, 10_000);
    h.model.emit("blocked", "low on memory");
    h.model.drop();
    await turn();
    assert.equal(h.connection.blockedBy, undefined);
  });

  it("a new connection starts unblocked", async (t) => {
    const h = await connected(t, {}, 10_000);
    h.model.emit("blocked", "low on disk");
    h.model.drop();
    await turn();
    await h.accept();
    assert.equal(h.connection.blockedBy, undefined);
  });
});

describe("BrokerConnection: restart and stopping", () => {
  it("restart gives the live session up on purpose: lost with that reason, its connection closed, the next node asked", async (t) => {
    const h = await connected(t, {}, 10_000);
    h.model.closeError = new Error("Connection closed (by the broker, meanwhile)");
    h.connection.restart(new Error("health check failed"));
    await turn();
    assert.deepEqual(h.events.slice(1), [["lost", "health check failed"]]);
    assert.equal(h.model.closes, 1);
    assert.equal(h.connection.liveSession, undefined);
    assert.deepEqual(h.tried(), NODES);
  });

  it("restart without a session does nothing", async (t) => {
    const h = harness(t);
    h.connection.start();
    h.connection.restart(new Error("health check failed"));
    await turn();
    assert.deepEqual(h.events, []);
    assert.equal(h.connects.length, 1);
  });

  it("stopConsuming without a session settles at once", async (t) => {
    const h = harness(t);
    const stopping = settled(h.connection.stopConsuming());
    await turn();
    assert.equal(stopping.done, true);
  });

  it("stopConsuming cancels the consumer and keeps the connection", async (t) => {
    const h = await connected(t);
    const stopping = settled(h.connection.stopConsuming());
    await turn();
    assert.deepEqual(
      h.channel.cancels.map((c) => c.tag),
      ["ctag-1"],
    );
    assert.equal(stopping.done, false, "waits for cancel-ok");
    h.channel.cancelOk(0);
    await turn();
    assert.equal(stopping.done, true);
    assert.equal(h.sessions[0]?.consumerState, "stopped");
    assert.equal(h.model.closes, 0);
    assert.equal(h.connection.connectionState, "connected");
  });

  it("stopConsuming waits at most 5 s for a broker that does not answer", async (t) => {
    const h = await connected(t);
    const stopping = settled(h.connection.stopConsuming());
    await h.clock.tick(4_999);
    assert.equal(stopping.done, false);
    await h.clock.tick(1);
    assert.equal(stopping.done, true);
  });

  it("close stops consuming, closes the channel, then the connection, and ends the loop", async (t) => {
    const h = await connected(t, {}, 10_000);
    const closing = settled(h.connection.close());
    assert.equal(h.connection.connectionState, "closing");
    await turn();
    assert.equal(h.channel.cancels.length, 1);
    assert.equal(h.model.closes, 0, "the channel first");
    h.channel.cancelOk(0);
    await turn();
    assert.equal(h.channel.closed, 1);
    assert.equal(h.model.closes, 1);
    assert.equal(closing.done, true);
    assert.equal(h.connection.connectionState, "closed");
    await h.clock.tick(60_000);
    assert.equal(h.connects.length, 1, "no reconnect");
    assert.deepEqual(h.events.slice(1), [], "a connection closed on purpose is not reported lost");
    await h.connection.close();
    assert.equal(h.model.closes, 1, "closing again does nothing");
  });

  it("close settles when the connection was already gone (amqplib's close then rejects)", async (t) => {
    const h = await connected(t, {}, 10_000);
    h.model.closeError = new Error("Connection closed (by the broker, meanwhile)");
    const closing = h.connection.close();
    await turn();
    h.channel.cancelOk(0);
    await closing;
    assert.equal(h.model.closes, 1);
    assert.equal(h.connection.connectionState, "closed");
  });

  it("close during the backoff delay settles at once, and no node is asked again", async (t) => {
    const h = harness(t);
    h.connection.start();
    await refuseRound(h);
    assert.equal(h.connection.connectionState, "backing-off");
    const closing = settled(h.connection.close());
    await turn();
    assert.equal(closing.done, true);
    assert.equal(h.connection.connectionState, "closed");
    await h.clock.tick(60_000);
    assert.equal(h.connects.length, 2);
  });

  it("close while a connect hangs waits at most 5 s for it", async (t) => {
    const h = harness(t);
    h.connection.start();
    const closing = settled(h.connection.close());
    await turn();
    await h.clock.tick(4_999);
    assert.equal(closing.done, false);
    await h.clock.tick(1);
    assert.equal(closing.done, true);
    assert.equal(h.connection.connectionState, "closed");
  });

  it("close while the session is being set up closes its connection, which ends the set-up", async (t) => {
    const h = harness(t);
    h.connection.start();
    const model = await h.answer();
    const closing = settled(h.connection.close());
    await turn();
    assert.equal(model.closes, 1);
    // amqplib fails the requests still waiting on a connection that closed.
    model.confirmChannel.consumes[0]?.reject(new Error("Channel ended, no reply will be forthcoming"));
    await turn();
    assert.equal(closing.done, true, "without waiting 5 s for the loop");
    assert.deepEqual(h.events, []);
    assert.deepEqual(h.warnings(/cannot connect/), [], "a failure of its own making is not logged");
  });

  it("close while the session is being set up, consume-ok arriving anyway: the session is closed, never handed out", async (t) => {
    const h = harness(t);
    h.connection.start();
    const model = await h.answer();
    model.closeError = new Error("Connection closed (by the broker, meanwhile)");
    const closing = settled(h.connection.close());
    await turn();
    model.confirmChannel.consumeOk(0, "ctag-1");
    await turn();
    model.confirmChannel.cancelOk(0);
    await turn();
    assert.equal(model.confirmChannel.closed, 1);
    assert.equal(model.closes, 1, "its connection closed once");
    assert.equal(closing.done, true);
    assert.deepEqual(h.events, []);
    assert.equal(h.connection.connectionState, "closed");
  });

  it("a connect answered after close gave up on it: that connection is closed at once, nothing declared or consumed", async (t) => {
    const h = harness(t);
    h.connection.start();
    const closing = settled(h.connection.close());
    await turn();
    await h.clock.tick(5_000);
    assert.equal(closing.done, true);
    const late = new FakeModel();
    late.closeError = new Error("Connection closed (by the broker, meanwhile)");
    await h.answer(late);
    assert.equal(late.closes, 1);
    assert.deepEqual(late.confirmChannel.topology, []);
    assert.deepEqual(late.confirmChannel.consumes, []);
    assert.equal(h.connection.connectionState, "closed");
    // amqplib reports a close cut short (heartbeat, socket end) as `error`: heard, never thrown.
    assert.doesNotThrow(() => late.emit("error", new Error("Heartbeat timeout")));
  });

  it('close() while the session is being set up and the queue turns out missing ("declare": false): not reported as failed', async (t) => {
    const h = harness(t, { amqp: { declare: false } });
    h.connection.start();
    const model = new FakeModel();
    model.failures.set("checkQueue:krakend", replyError(404, "NOT_FOUND"));
    const channelAnswer = deferred<void>();
    model.confirmChannelAnswer = channelAnswer.promise;
    await h.answer(model);
    const closing = settled(h.connection.close());
    await turn();
    channelAnswer.resolve();
    await h.clock.tick(5_000);
    assert.equal(closing.done, true);
    assert.deepEqual(h.events, [], "no failed event: the agent was stopping");
    assert.equal(h.connection.connectionState, "closed");
    assert.equal(model.closes, 1, "its connection closed once");
  });
});
