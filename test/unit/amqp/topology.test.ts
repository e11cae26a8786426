import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEAD_LETTER_ROUTING_KEY,
  prepareTopology,
  startupConfigNotes,
  topologyPlan,
} from "../../../src/amqp/topology.js";
import type { AgentConfig } from "../../../src/config/types.js";
import { AgentError } from "../../../src/errors.js";
import { agentConfig } from "../pipeline/fakes.js";
import { FakeModel, replyError } from "./fake-channel.js";

const quorum = { "x-queue-type": "quorum" };
/** Back to the consumed queue's tail at once: the set-aside queue's arguments. */
const setAsideArguments = {
  "x-message-ttl": 0,
  "x-dead-letter-exchange": "",
  "x-dead-letter-routing-key": "krakend",
};

async function prepare(config: AgentConfig, model = new FakeModel()) {
  await prepareTopology(model.asModel, model.confirmChannel.asConfirmChannel, config);
  return model;
}

async function failure(config: AgentConfig, model: FakeModel): Promise<AgentError> {
  const error = await prepare(config, model).then(
    () => assert.fail("expected the topology to be refused"),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof AgentError);
  return error;
}

describe("topologyPlan: what the agent needs on the broker", () => {
  it("dead_letter: the agent's exchange, its dead-letter queue and (with the breaker) the set-aside queue", () => {
    const plan = topologyPlan(agentConfig());
    assert.equal(plan.agentExchange, "krakend.agent");
    assert.deepEqual(plan.agentQueues, [
      { name: "krakend.dlq", routingKey: DEAD_LETTER_ROUTING_KEY, arguments: {} },
      { name: "krakend.retry.setaside", routingKey: "retry.setaside", arguments: setAsideArguments },
    ]);
    assert.deepEqual(plan.queue.name, "krakend");
    assert.deepEqual(plan.bindings, [{ routingKey: "*", arguments: {} }]);
  });

  it("retry queues dead-letter back to the consumed queue after their delay", () => {
    const plan = topologyPlan(agentConfig({ amqp: { retry_delays: ["10s"] } }));
    assert.deepEqual(plan.agentQueues[1], {
      name: "krakend.retry.10s",
      routingKey: "retry.10s",
      arguments: {
        "x-message-ttl": 10_000,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": "krakend",
      },
    });
  });

  it("a quorum consumed queue makes the agent's own queues quorum; retries dead-letter at least once", () => {
    const plan = topologyPlan(agentConfig({ amqp: { queue_arguments: quorum, retry_delays: ["1s"] } }));
    assert.deepEqual(plan.agentQueues[0]?.arguments, quorum);
    assert.deepEqual(plan.agentQueues[1]?.arguments, {
      "x-queue-type": "quorum",
      "x-dead-letter-strategy": "at-least-once",
      "x-overflow": "reject-publish",
      "x-message-ttl": 1_000,
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": "krakend",
    });
  });

  it("no set-aside queue without the breaker, or with order_key (a lane keeps its head)", () => {
    const names = (amqp: Record<string, unknown>, consumer?: Record<string, unknown>) =>
      topologyPlan(agentConfig({ amqp, consumer })).agentQueues.map((queue) => queue.name);
    assert.deepEqual(names({ circuit_breaker: { enabled: false } }), ["krakend.dlq"]);
    assert.deepEqual(names({}, { order_key: "routing_key" }), ["krakend.dlq"]);
  });

  it("nothing of its own without dead letters, retries or the set-aside route", () => {
    const plan = topologyPlan(
      agentConfig({ amqp: { failure_policy: "requeue", circuit_breaker: { enabled: false } } }),
    );
    assert.equal(plan.agentExchange, undefined);
    assert.deepEqual(plan.agentQueues, []);
  });
});

describe("prepareTopology: declare", () => {
  it("declares the exchange, queue, bindings, the agent's exchange and queues, then the prefetch", async () => {
    const model = await prepare(agentConfig());
    assert.deepEqual(model.confirmChannel.topology, [
      ["assertExchange", "foo", "topic", { durable: true, autoDelete: false }],
      ["assertQueue", "krakend", { durable: true, autoDelete: false, exclusive: false, arguments: {} }],
      ["bindQueue", "krakend", "foo", "*", {}],
      ["assertExchange", "krakend.agent", "direct", { durable: true, autoDelete: false }],
      ["assertQueue", "krakend.dlq", { durable: true, autoDelete: false, exclusive: false, arguments: {} }],
      ["bindQueue", "krakend.dlq", "krakend.agent", DEAD_LETTER_ROUTING_KEY, undefined],
      [
        "assertQueue",
        "krakend.retry.setaside",
        { durable: true, autoDelete: false, exclusive: false, arguments: setAsideArguments },
      ],
      ["bindQueue", "krakend.retry.setaside", "krakend.agent", "retry.setaside", undefined],
      ["prefetch", 5, false],
    ]);
    assert.deepEqual(model.channels, [], "no passive check");
  });

  it("a declare the broker refuses names what and says what to do", async () => {
    const model = new FakeModel();
    model.failures.set(
      "assertQueue:krakend",
      replyError(406, "PRECONDITION_FAILED - inequivalent arg 'durable'"),
    );
    const error = await failure(agentConfig(), model);
    assert.equal(error.code, "TOPOLOGY_FAILED");
    assert.match(
      error.message,
      /^queue "krakend": .*PRECONDITION_FAILED.*set "declare": false to use it as it is/,
    );
    assert.equal((error.cause as Error).message.includes("406"), true);
    assert.equal(
      model.confirmChannel.topology.some(([method]) => method === "bindQueue"),
      false,
      "stops at the first refusal",
    );
  });

  it("a declare answered 'not found' (a binding to a missing exchange) is a failure, not missing topology", async () => {
    const model = new FakeModel();
    model.failures.set("bindQueue:krakend", replyError(404, "NOT_FOUND - no exchange 'foo'"));
    const error = await failure(agentConfig(), model);
    assert.equal(error.code, "TOPOLOGY_FAILED");
    assert.match(error.message, /^binding of "krakend" to "foo" does not exist: /);
  });

  it("no prefetch is sent for 0 (auto_ack)", async () => {
    const model = await prepare(agentConfig({ amqp: { auto_ack: true, prefetch_count: 0 } }));
    assert.equal(
      model.confirmChannel.topology.some(([method]) => method === "prefetch"),
      false,
    );
  });
});

describe('prepareTopology: "declare": false checks passively', () => {
  const passive = () => agentConfig({ amqp: { declare: false } });

  it("checks each entity on a channel of its own, closed after, and declares nothing", async () => {
    const model = await prepare(passive());
    assert.deepEqual(
      model.channels.map((channel) => channel.topology),
      [
        [["checkExchange", "foo"]],
        [["checkQueue", "krakend"]],
        [["checkExchange", "krakend.agent"]],
        [["checkQueue", "krakend.dlq"]],
        [["checkQueue", "krakend.retry.setaside"]],
      ],
    );
    assert.deepEqual(
      model.channels.map((channel) => channel.closed),
      [1, 1, 1, 1, 1],
    );
    assert.deepEqual(model.confirmChannel.topology, [["prefetch", 5, false]]);
  });

  it("a missing entity is named, with how to fix it; later checks are not made", async () => {
    const model = new FakeModel();
    model.failures.set("checkExchange:krakend.agent", replyError(404, "NOT_FOUND - no exchange"));
    const error = await failure(passive(), model);
    assert.equal(error.code, "TOPOLOGY_MISSING");
    assert.match(
      error.message,
      /^the agent's exchange "krakend.agent" does not exist \("declare": false declares nothing\)/,
    );
    assert.equal(model.channels.length, 3);
    assert.equal(model.channels[2]?.closed, 1, "the channel the broker closed is closed here too");
  });

  it("a check refused for another reason (permissions) is not called missing", async () => {
    const model = new FakeModel();
    model.failures.set("checkQueue:krakend", replyError(403, "ACCESS_REFUSED"));
    const error = await failure(passive(), model);
    assert.equal(error.code, "TOPOLOGY_FAILED");
    assert.match(error.message, /^queue "krakend": .*the broker user lacks permission/);
  });
});

describe("startupConfigNotes", () => {
  it("says which seed flags RabbitMQ or amqplib cannot honour", () => {
    assert.equal(
      startupConfigNotes(agentConfig()),
      "config notes: no_wait ignored (amqplib always waits for declare-ok); no_local has no effect (RabbitMQ does not implement it)",
    );
  });

  it("nothing to say when every field is honoured", () => {
    assert.equal(startupConfigNotes(agentConfig({ amqp: { no_wait: false, no_local: false } })), undefined);
  });

  it("a prefetch raised so batches can fill, an unlimited one bounded, auto_ack, prefetch_size", () => {
    const raised = agentConfig({ amqp: { no_wait: false, no_local: false }, lambda: { batch_size: 10 } });
    assert.match(
      startupConfigNotes(raised) ?? "",
      /prefetch_count 5 raised to 50 \(batch_size 10 × workers 5\)/,
    );
    const unlimited = agentConfig({ amqp: { prefetch_count: 0 } });
    assert.match(
      startupConfigNotes(unlimited) ?? "",
      /prefetch_count 0 \(unlimited\) would let the broker push the whole queue: basic.qos set to 100/,
    );
    const autoAck = agentConfig({ amqp: { auto_ack: true } });
    assert.match(
      startupConfigNotes(autoAck) ?? "",
      /auto_ack: .* while it holds 100 messages \(max_backlog\)/,
    );
    const size = agentConfig({ amqp: { prefetch_size: 1024 } });
    assert.match(startupConfigNotes(size) ?? "", /prefetch_size 1024 ignored/);
  });
});
