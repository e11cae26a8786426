import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import type amqplib from "amqplib";
import type { ConsumeMessage } from "amqplib";
import { Agent } from "../../../src/agent/agent.js";
import type { MessageOutcome, OutgoingMessage, SendReport } from "../../../src/backends/backend.js";
import { Metrics } from "../../../src/observability/metrics.js";
import { FakeModel } from "../amqp/fake-channel.js";
import { fakeMessage } from "../amqp-fixtures.js";
import {
  agentConfig,
  callReport,
  type Deferred,
  deferred,
  FakeBackend,
  failure,
  recordingLog,
  succeededOutcome,
  turn,
} from "../pipeline/fakes.js";

/** Two cluster nodes: a lost connection moves to the other one at once (no backoff). */
const NODES = ["amqp://guest:guest@a:5672/", "amqp://guest:guest@b:5672/"];

/** Turns of the event loop a step may take before the test gives up on it. */
const MAX_TURNS = 500;

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < MAX_TURNS; i += 1) {
    if (condition()) return;
    await turn();
  }
  assert.fail(`gave up waiting: ${what}`);
}

interface Connect {
  url: string;
  name: string;
  answer: Deferred<FakeModel>;
}

/**
 * An Agent on a scripted broker: every `connect` (the consumer's, and the publisher's if it
 * publishes) waits for the test to answer it with a FakeModel; the backend is a FakeBackend taking
 * one message per call. The agent is stopped after the test.
 */
function harness(
  t: TestContext,
  overrides: Parameters<typeof agentConfig>[0] = {},
  options: { maxRetries?: number; refuse?: Error } = {},
) {
  const config = agentConfig({ consumer: { workers: 1 }, ...overrides });
  const connects: Connect[] = [];
  const connect = (url: string, settings: { clientProperties?: { connection_name?: string } }) => {
    const answer = deferred<FakeModel>();
    connects.push({ url, name: settings.clientProperties?.connection_name ?? "", answer });
    if (options.refuse) answer.reject(options.refuse);
    return answer.promise;
  };
  const backend = new FakeBackend();
  backend.batchSize = 1;
  backend.maxRetries = options.maxRetries ?? backend.maxRetries;
  const { log, lines } = recordingLog();
  const agent = new Agent({
    config,
    registry: new Metrics(),
    log,
    tls: {},
    backend,
    connect: connect as unknown as typeof amqplib.connect,
  });
  const models: FakeModel[] = [];
  // Stopping: the broker answers every cancel and no connect still waiting ever will.
  t.after(async () => {
    for (const pending of connects) pending.answer.reject(new Error("test over"));
    let stopped = false;
    const stopping = agent.stop(0).then(() => {
      stopped = true;
    });
    while (!stopped) {
      for (const model of models) {
        const channel = model.confirmChannel;
        for (let index = 0; index < channel.cancels.length; index += 1) channel.cancelOk(index);
      }
      await turn();
    }
    await stopping;
  });

  /** Answers the next consumer connect with a fresh model and gives its consume-ok. */
  async function consumerConnects(): Promise<FakeModel> {
    await until(
      () => connects.some((c) => c.name.startsWith("amqp-lambda-agent:")),
      "the consumer's connect",
    );
    const index = connects.findIndex((c) => c.name.startsWith("amqp-lambda-agent:"));
    const [pending] = connects.splice(index, 1);
    const model = new FakeModel();
    models.push(model);
    pending?.answer.resolve(model);
    const channel = model.confirmChannel;
    await until(() => channel.consumes.length > 0, "basic.consume");
    channel.consumeOk(0, "ctag-1");
    await until(() => agent.status().state === "ready", "the agent ready");
    return model;
  }

  /** The broker delivers `message` on `model`'s consumer. */
  function deliver(model: FakeModel, message: ConsumeMessage): void {
    model.confirmChannel.consumes[0]?.callback(message);
  }

  /** The backend's answers wait for the test: `calls[i].resolve(...)`. */
  function holdCalls(): Array<Deferred<SendReport>> {
    const calls: Array<Deferred<SendReport>> = [];
    backend.answer = () => {
      const call = deferred<SendReport>();
      calls.push(call);
      return call.promise;
    };
    return calls;
  }

  return { agent, backend, connects, lines, consumerConnects, deliver, holdCalls };
}

const succeeded = (batch: readonly OutgoingMessage[]): SendReport => ({
  results: new Map(batch.map((out) => [out.id, succeededOutcome])),
  call: callReport(),
});

describe("Agent: the wiring of connection, pipeline and consumer", () => {
  it("connects, consumes, sends a delivery to the backend, acks it on success, and stops", async (t) => {
    const h = harness(t);
    assert.equal(h.agent.status().state, "idle");
    h.agent.start();
    assert.equal(h.agent.status().state, "connecting");
    const model = await h.consumerConnects();
    assert.equal(h.agent.status().consumer, "consuming");
    const message = fakeMessage({ deliveryTag: 1, content: '{"order":1}' });
    h.deliver(model, message);
    await until(() => model.confirmChannel.settled.length === 1, "the ack");
    assert.deepEqual(model.confirmChannel.settled, [["ack", message]]);
    assert.equal(h.backend.sent.length, 1);
    assert.equal(h.backend.sent[0]?.[0]?.message, message);
    assert.deepEqual(h.agent.status().phases, { waiting: 0, running: 0, settling: 0 });

    const stopping = h.agent.stop();
    await until(() => model.confirmChannel.cancels.length === 1, "basic.cancel");
    model.confirmChannel.cancelOk(0);
    await stopping;
    assert.equal(h.agent.status().state, "closed");
    assert.equal(h.backend.closed, 1);
    assert.ok(model.closes >= 1, "the consumer's connection is closed");
  });

  it("a lost connection: a waiting message is left to the broker, the running one is not acked on a new channel, the agent reconnects", async (t) => {
    const h = harness(t, { amqp: { host: NODES } });
    const calls = h.holdCalls();
    h.agent.start();
    const first = await h.consumerConnects();
    const message = fakeMessage({ deliveryTag: 7 });
    h.deliver(first, message);
    h.deliver(first, fakeMessage({ deliveryTag: 8 }));
    await until(() => calls.length === 1, "the backend call");
    assert.deepEqual(h.agent.status().phases, { waiting: 1, running: 1, settling: 0 });

    first.drop();
    await until(() => h.agent.status().state === "connecting", "the agent reconnecting");
    assert.match(h.agent.status().reason ?? "", /reconnecting/);
    // The waiting message is the broker's again (it redelivers it); the running one finishes its call.
    assert.deepEqual(h.agent.status().phases, { waiting: 0, running: 1, settling: 0 });
    const second = await h.consumerConnects();
    calls[0]?.resolve(succeeded(h.backend.sent[0] ?? []));
    await until(() => h.agent.status().held === 0, "the message let go");
    assert.deepEqual(first.confirmChannel.settled, [], "no ack on the dead channel");
    assert.deepEqual(
      second.confirmChannel.settled,
      [],
      "a delivery tag of the old channel is not acked on the new one",
    );
    assert.equal(h.backend.sent.length, 1, "the message left to the broker is not sent");
    assert.equal(h.agent.status().state, "ready");
  });

  it("stop(): a waiting message goes back to the queue, the running one finishes and is acked, then it closes", async (t) => {
    const h = harness(t);
    const calls = h.holdCalls();
    h.agent.start();
    const model = await h.consumerConnects();
    const running = fakeMessage({ deliveryTag: 1 });
    const waiting = fakeMessage({ deliveryTag: 2 });
    h.deliver(model, running);
    h.deliver(model, waiting);
    await until(() => calls.length === 1, "the first backend call");
    assert.deepEqual(h.agent.status().phases, { waiting: 1, running: 1, settling: 0 });

    const stopping = h.agent.stop();
    assert.equal(h.agent.status().state, "draining");
    await until(() => model.confirmChannel.cancels.length === 1, "basic.cancel");
    model.confirmChannel.cancelOk(0);
    await until(() => model.confirmChannel.settled.length === 1, "the waiting message given back");
    assert.deepEqual(model.confirmChannel.settled[0], ["nack", waiting, false, true]);
    calls[0]?.resolve(succeeded(h.backend.sent[0] ?? []));
    await stopping;
    assert.deepEqual(model.confirmChannel.settled[1], ["ack", running]);
    assert.equal(h.backend.sent.length, 1, "the waiting message was never sent");
    assert.equal(h.agent.status().state, "closed");
  });

  it("stop() while connecting: a session that opens late is cancelled, what it delivers goes back, the connection is closed", async (t) => {
    const h = harness(t);
    h.agent.start();
    await until(() => h.connects.length === 1, "the consumer's connect");
    const stopping = h.agent.stop();
    const late = new FakeModel();
    h.connects.splice(0, 1)[0]?.answer.resolve(late);
    const channel = late.confirmChannel;
    await until(() => channel.consumes.length === 1, "basic.consume on the late connection");
    channel.consumeOk(0, "ctag-late");
    const message = fakeMessage({ deliveryTag: 1 });
    h.deliver(late, message);
    await until(() => channel.cancels.length === 1, "the late consumer cancelled");
    channel.cancelOk(0);
    await stopping;
    assert.deepEqual(channel.settled, [["nack", message, false, true]], "given back, not sent");
    assert.equal(h.backend.sent.length, 0);
    assert.equal(h.agent.status().state, "closed");
    assert.ok(late.closes >= 1, "the late connection is closed");
  });

  it("the broker unreachable for max_retries rounds: `failed` resolves with the error and the agent is closed", async (t) => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const h = harness(
      t,
      { amqp: { host: NODES }, connection: { max_retries: 1, backoff_strategy: "linear" } },
      { refuse: refused },
    );
    h.agent.start();
    const error = await h.agent.failed;
    assert.deepEqual(
      h.connects.map((c) => c.url),
      [...NODES, ...NODES],
      "every node tried, in order, in each round",
    );
    assert.equal(error.code, "BROKER_UNREACHABLE");
    assert.equal(h.agent.status().state, "closed");
    assert.equal(h.agent.status().reason, error.message);
  });

  it("a message that fails for good goes to the dead-letter exchange through the publisher, then is acked", async (t) => {
    const h = harness(t, { lambda: { max_retries: 0 } }, { maxRetries: 0 });
    const boom: MessageOutcome = {
      kind: "failed",
      failure: failure("function_error", "Boom"),
      scope: "ambiguous",
    };
    h.backend.answer = (batch) => ({
      results: new Map(batch.map((out) => [out.id, boom])),
      call: callReport(),
    });
    h.agent.start();
    const model = await h.consumerConnects();
    const message = fakeMessage({ deliveryTag: 3 });
    h.deliver(model, message);
    await until(
      () => h.connects.some((c) => c.name.startsWith("amqp-lambda-agent-publisher")),
      "the publisher's connect",
    );
    const publisherModel = new FakeModel();
    const publisherAt = h.connects.findIndex((c) => c.name.startsWith("amqp-lambda-agent-publisher"));
    h.connects.splice(publisherAt, 1)[0]?.answer.resolve(publisherModel);
    const channel = publisherModel.confirmChannel;
    await until(() => channel.publishes.length === 1, "the dead letter published");
    assert.equal(channel.publishes[0]?.options.headers?.["x-agent-error-type"], "Boom");
    assert.deepEqual(model.confirmChannel.settled, [], "not acked before the broker confirms the copy");
    channel.confirm(0);
    await until(() => model.confirmChannel.settled.length === 1, "the ack after the confirm");
    assert.deepEqual(model.confirmChannel.settled, [["ack", message]]);
  });
});
