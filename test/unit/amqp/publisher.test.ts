import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import type amqplib from "amqplib";
import { Publisher, type PublisherState } from "../../../src/amqp/publisher.js";
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
import { FakeModel, NODES, settled } from "./fake-channel.js";

/**
 * A Publisher on the fake clock (performance.now() follows it, Math.random is 0.5: backoffs without
 * jitter) whose `connect` answers when the test says, with a FakeModel.
 */
function harness(t: TestContext) {
  const clock = fakeClock(t, 0);
  t.mock.method(performance, "now", () => Date.now());
  t.mock.method(Math, "random", () => 0.5);
  const config = agentConfig({ amqp: { host: NODES } });
  const connects: Array<{ url: string; options: Record<string, unknown>; answer: Deferred<FakeModel> }> = [];
  const connect = (url: string, options: Record<string, unknown>) => {
    const answer = deferred<FakeModel>();
    connects.push({ url, options, answer });
    return answer.promise;
  };
  const { log, lines } = recordingLog();
  const publisher = new Publisher({
    config,
    tls: {},
    log,
    connect: connect as unknown as typeof amqplib.connect,
  });
  const states: Array<[PublisherState, { reason?: string; node?: string }]> = [];
  publisher.on("state", (state, detail) => states.push([state, detail]));
  return {
    publisher,
    clock,
    connects,
    lines,
    states,
    /** The states reached, without details. */
    stateNames: () => states.map(([state]) => state),
    /** Answers connect #`index` (the latest by default) with a new connection, then lets it settle. */
    async accept(index = connects.length - 1, model = new FakeModel()): Promise<FakeModel> {
      connects[index]?.answer.resolve(model);
      await turn();
      return model;
    },
    async refuse(index = connects.length - 1, error = new Error("ECONNREFUSED")): Promise<void> {
      connects[index]?.answer.reject(error);
      await turn();
    },
    publish: (routingKey = "dead-letter") =>
      publisher.publish("krakend.agent", routingKey, Buffer.from("body"), { headers: { a: 1 } }),
  };
}

/** A harness whose publisher is ready on the first node. */
async function ready(t: TestContext) {
  const h = harness(t);
  h.publisher.follow(0);
  const model = await h.accept();
  assert.equal(h.publisher.state, "ready");
  return { ...h, model, channel: model.confirmChannel };
}

describe("Publisher: connecting", () => {
  it("idle until told which node to follow; then connects there as the publishing connection", async (t) => {
    const h = harness(t);
    assert.equal(h.publisher.state, "idle");
    await h.clock.tick(60_000);
    assert.equal(h.connects.length, 0);
    h.publisher.follow(1);
    assert.deepEqual(
      h.connects.map((c) => c.url),
      [NODES[1]],
    );
    const properties = h.connects[0]?.options.clientProperties as { connection_name: string };
    assert.match(properties.connection_name, /^amqp-lambda-agent-publisher:cool-agent:\d+$/);
    assert.equal(h.publisher.state, "connecting");
    await h.accept();
    assert.deepEqual(h.states, [
      ["connecting", { node: "b:5673" }],
      ["ready", { node: "b:5673" }],
    ]);
  });

  it("publishes mandatory through the exchange given, on its confirm channel, and waits for the confirm", async (t) => {
    const h = await ready(t);
    const result = h.publish("retry.1s");
    await turn();
    const [sent] = h.channel.publishes;
    assert.equal(sent?.exchange, "krakend.agent");
    assert.equal(sent?.routingKey, "retry.1s");
    assert.equal(sent?.options.mandatory, true);
    assert.equal(sent?.options.headers?.a, 1);
    h.channel.confirm(0);
    assert.equal(await result, "confirmed");
  });

  it("a publish waits for the connection, then goes out on it", async (t) => {
    const h = harness(t);
    h.publisher.follow(0);
    const result = settled(h.publish());
    await h.clock.tick(29_000);
    assert.equal(result.done, false);
    const model = await h.accept();
    await turn();
    assert.equal(model.confirmChannel.publishes.length, 1);
    model.confirmChannel.confirm(0);
    await turn();
    assert.equal(result.value, "confirmed");
  });

  it("no connection within 30 s: the publish fails, saying so", async (t) => {
    const h = harness(t);
    h.publisher.follow(0);
    const result = settled(h.publish());
    await h.clock.tick(29_999);
    assert.equal(result.done, false);
    await h.clock.tick(1);
    await turn();
    assert.equal(result.error?.message, "no publishing connection to the broker within 30000ms");
  });

  it("a failed connect is retried with a growing backoff (1 s, 2 s, 4 s, 8 s, then at most 10 s)", async (t) => {
    const h = harness(t);
    h.publisher.follow(0);
    const waits: number[] = [];
    for (let round = 0; round < 5; round++) {
      await h.refuse();
      const before = h.connects.length;
      let waited = 0;
      while (h.connects.length === before) {
        await h.clock.tick(500);
        waited += 500;
      }
      waits.push(waited);
    }
    assert.deepEqual(waits, [1_000, 2_000, 4_000, 8_000, 10_000]);
    assert.ok(h.connects.every((c) => c.url === NODES[0]));
    assert.match(h.lines[0]?.msg ?? "", /^publishing connection to a:5672 failed$/);
  });

  it("a channel that cannot be opened closes the connection and counts as a failed connect", async (t) => {
    const h = harness(t);
    h.publisher.follow(0);
    const model = new FakeModel();
    model.confirmChannelAnswer = Promise.reject(new Error("channel refused"));
    await h.accept(0, model);
    await turn();
    assert.equal(model.closes, 1);
    assert.equal(h.publisher.state, "connecting");
    await h.clock.tick(999);
    assert.equal(h.connects.length, 1);
    await h.clock.tick(1);
    assert.equal(h.connects.length, 2, "after the first backoff");
  });
});

describe("Publisher: a connection that ends", () => {
  it("a connection that was up and closes is replaced at once (no backoff)", async (t) => {
    const h = await ready(t);
    h.model.drop();
    await turn();
    assert.equal(h.connects.length, 2);
    assert.equal(h.connects[1]?.url, NODES[0]);
    assert.equal(h.publisher.state, "connecting");
    await h.accept();
    assert.equal(h.publisher.state, "ready");
  });

  it("a publish without mandatory (direct reply-to) goes without it", async (t) => {
    const h = await ready(t);
    const result = h.publisher.publish("", "amq.rabbitmq.reply-to.x", Buffer.from("r"), { mandatory: false });
    await turn();
    assert.equal(h.channel.publishes[0]?.options.mandatory, false);
    h.channel.confirm(0);
    assert.equal(await result, "confirmed");
  });

  it("a publish the broker closes the channel for fails with the broker's error (its reply code)", async (t) => {
    const h = await ready(t);
    const result = settled(h.publish());
    await turn();
    const notFound = Object.assign(new Error("NOT_FOUND - no exchange"), { code: 404 });
    h.channel.emit("error", notFound);
    h.channel.publishes[0]?.callback(new Error("channel closed"));
    await turn();
    assert.equal(result.error, notFound);
  });

  it("a failed publish on a channel that did not close fails with its own error", async (t) => {
    const h = await ready(t);
    const result = settled(h.publish());
    await turn();
    h.channel.publishes[0]?.callback(new Error("message nacked"));
    await turn();
    assert.equal(result.error?.message, "message nacked");
  });

  it("the replies' connection is named apart", async (t) => {
    harness(t);
    const connects: Array<Record<string, unknown>> = [];
    const replies = new Publisher({
      config: agentConfig(),
      tls: {},
      log: silentLog,
      connect: ((_url: string, options: Record<string, unknown>) => {
        connects.push(options);
        return new Promise(() => undefined);
      }) as unknown as typeof amqplib.connect,
      role: "replies",
    });
    replies.follow(0);
    await turn();
    const name = (connects[0]?.clientProperties as { connection_name?: string } | undefined)?.connection_name;
    assert.match(name ?? "", /^amqp-lambda-agent-replies:/);
    await replies.close();
  });

  it("a channel closed by the broker closes its connection, which is replaced", async (t) => {
    const h = await ready(t);
    h.channel.emit("error", new Error("404 NOT_FOUND"));
    h.channel.emit("close");
    await turn();
    assert.equal(h.model.closes, 1);
    assert.equal(h.connects.length, 2);
  });

  it("connection errors are logged as warnings, never thrown", async (t) => {
    const h = await ready(t);
    h.model.emit("error", new Error("ECONNRESET"));
    assert.equal(h.lines.at(-1)?.level, LEVEL.warn);
    assert.equal(h.lines.at(-1)?.msg, "publishing connection error on a:5672");
  });

  it("closing a connection that is already gone (close rejects) is harmless", async (t) => {
    const h = harness(t);
    h.publisher.follow(0);
    const noChannel = new FakeModel();
    noChannel.confirmChannelAnswer = Promise.reject(new Error("channel refused"));
    noChannel.closeError = new Error("Connection closed");
    await h.accept(0, noChannel);
    await h.clock.tick(1_000);
    const model = new FakeModel();
    model.closeError = new Error("Connection closed");
    await h.accept(1, model);
    assert.equal(h.publisher.state, "ready");
    model.confirmChannel.emit("close");
    await turn();
    assert.equal(h.connects.length, 3, "the channel's close closed the connection: replaced");
    const next = await h.accept(2, Object.assign(new FakeModel(), { closeError: new Error("gone") }));
    h.publisher.follow(1);
    await turn();
    assert.equal(next.closes, 1);
    await h.publisher.close();
    const late = Object.assign(new FakeModel(), { closeError: new Error("gone") });
    await h.accept(3, late);
    assert.deepEqual([late.closes, h.publisher.state], [1, "closed"]);
  });
});

describe("Publisher: following the consumer's node", () => {
  it("the same node again changes nothing; another node closes this connection and connects there", async (t) => {
    const h = await ready(t);
    h.publisher.follow(0);
    await turn();
    assert.equal(h.connects.length, 1);
    h.publisher.follow(1);
    await turn();
    assert.equal(h.model.closes, 1);
    assert.deepEqual(
      h.connects.map((c) => c.url),
      NODES,
    );
    await h.accept();
    assert.deepEqual(h.states.at(-1), ["ready", { node: "b:5673" }]);
  });

  it("a move during a backoff connects to the new node at once", async (t) => {
    const h = harness(t);
    h.publisher.follow(0);
    await h.refuse();
    h.publisher.follow(1);
    await turn();
    assert.deepEqual(
      h.connects.map((c) => c.url),
      NODES,
    );
  });

  it("a connect that fails after a move is not followed by a backoff", async (t) => {
    const h = harness(t);
    h.publisher.follow(0);
    h.publisher.follow(1);
    await h.refuse(0);
    assert.deepEqual(
      h.connects.map((c) => c.url),
      NODES,
    );
  });

  it("a move while connecting to the old node ends on the new node", {}, async (t) => {
    const h = harness(t);
    h.publisher.follow(0);
    h.publisher.follow(1);
    const old = await h.accept(0);
    await turn();
    assert.equal(old.closes, 1, "the old node's connection is closed");
    assert.equal(h.connects[1]?.url, NODES[1]);
  });
});

describe("Publisher: resource alarms", () => {
  it("blocked and unblocked are states of their own, with the broker's reason", async (t) => {
    const h = await ready(t);
    h.model.emit("blocked", "low on memory");
    assert.equal(h.publisher.blocked, true);
    h.model.emit("unblocked");
    assert.equal(h.publisher.blocked, false);
    assert.deepEqual(h.states.slice(2), [
      ["blocked", { reason: "low on memory", node: "a:5672" }],
      ["ready", { node: "a:5672" }],
    ]);
  });

  it("while blocked a publish waits without a limit, then goes out when unblocked", async (t) => {
    const h = await ready(t);
    h.model.emit("blocked", "disk");
    const result = settled(h.publish());
    for (let i = 0; i < 10; i++) await h.clock.tick(30_000);
    assert.equal(result.done, false);
    assert.equal(h.channel.publishes.length, 0);
    h.model.emit("unblocked");
    await turn();
    h.channel.confirm(0);
    await turn();
    assert.equal(result.value, "confirmed");
  });

  it("a confirm does not time out while blocked; 30 s after the alarm ends it does", async (t) => {
    const h = await ready(t);
    const result = settled(h.publish());
    await turn();
    assert.equal(h.channel.publishes.length, 1);
    h.model.emit("blocked", "memory");
    for (let i = 0; i < 4; i++) await h.clock.tick(30_000);
    assert.equal(result.done, false);
    h.model.emit("unblocked");
    await h.clock.tick(30_000);
    await turn();
    assert.match(result.error?.message ?? "", /did not confirm a publish to "krakend.agent" within 30000ms/);
  });

  it("blocked before its channel opened: unblocked means connecting again until the channel is there", async (t) => {
    const h = harness(t);
    h.publisher.follow(0);
    const model = new FakeModel();
    const channel = deferred<void>();
    model.confirmChannelAnswer = channel.promise;
    await h.accept(0, model);
    model.emit("blocked", "memory");
    model.emit("unblocked");
    assert.equal(h.publisher.state, "connecting");
    model.emit("blocked", "memory");
    channel.resolve();
    await turn();
    assert.equal(h.publisher.state, "blocked", "the channel is open, but the broker still blocks");
    model.emit("unblocked");
    assert.equal(h.publisher.state, "ready");
  });

  it("only unblocked time counts towards the 30 s wait for a connection", {}, async (t) => {
    const h = await ready(t);
    h.model.emit("blocked", "memory");
    const result = settled(h.publish());
    await h.clock.tick(29_000);
    h.model.drop();
    await turn();
    await h.clock.tick(6_000);
    assert.equal(result.done, false, `6 s of unblocked waiting so far (${result.error?.message})`);
    const model = await h.accept();
    await turn();
    assert.equal(model.confirmChannel.publishes.length, 1);
  });
});

describe("Publisher.close", () => {
  it("closes the connection; waiting and later publishes fail; nothing reconnects", async (t) => {
    const h = harness(t);
    h.publisher.follow(0);
    const model = await h.accept();
    model.emit("blocked", "memory");
    const waiting = settled(h.publish());
    await h.publisher.close();
    await turn();
    assert.equal(model.closes, 1);
    assert.equal(h.publisher.state, "closed");
    assert.equal(waiting.error?.message, "the publishing connection is closed");
    await assert.rejects(h.publish(), /the publishing connection is closed/);
    h.publisher.follow(1);
    await h.clock.tick(60_000);
    assert.equal(h.connects.length, 1);
    assert.deepEqual(h.stateNames(), ["connecting", "ready", "blocked", "closed"]);
  });

  it("a connection that opens after close is closed at once and never used", async (t) => {
    const h = harness(t);
    h.publisher.follow(0);
    await h.publisher.close();
    const late = await h.accept();
    await turn();
    assert.equal(late.closes, 1);
    assert.equal(h.publisher.state, "closed");
    assert.equal(h.connects.length, 1);
  });

  it("close during a backoff: no connect after it", async (t) => {
    const h = harness(t);
    h.publisher.follow(0);
    await h.refuse();
    await h.publisher.close();
    await h.clock.tick(60_000);
    assert.equal(h.connects.length, 1);
  });

  it("close before any connection, or twice, is harmless", async (t) => {
    const h = harness(t);
    await h.publisher.close();
    await h.publisher.close();
    assert.deepEqual(h.stateNames(), ["closed"]);
  });
});
