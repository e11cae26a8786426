import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AgentProcess, runCli, writeConfig } from "../helpers/agent-process.js";
import { AMQP_URL, SuiteBroker } from "../helpers/broker.js";
import { createBrokerUser } from "../helpers/broker-user.js";
import { agentConfig } from "../helpers/config.js";
import { metric } from "../helpers/metrics.js";
import { probeIds } from "../helpers/probe.js";
import { waitFor } from "../helpers/wait.js";

describe("the topology people already have: exchange types, bindings, declare: false", () => {
  const suite = new SuiteBroker();

  /** Publishes `[routingKey, headers, id]` triples, then waits for exactly the expected ids. */
  async function deliversExactly(
    queue: string,
    exchange: string,
    sends: Array<[string, Record<string, unknown>, number]>,
    expected: number[],
  ): Promise<void> {
    for (const [routingKey, headers, id] of sends) {
      await suite.broker.publish(exchange, routingKey, [{ id }], { headers });
    }
    // A last message every binding routes, so that "nothing else arrived" is known when it has.
    await waitFor(`ids ${expected.join(",")}`, () => expected.every((id) => probeIds(queue).has(id)), 30_000);
    await waitFor("the queue settled", async () => (await suite.broker.ready(queue)) === 0);
    assert.deepEqual(
      [...probeIds(queue)].sort((a, b) => a - b),
      expected,
    );
  }

  it("a fanout exchange delivers every message, whatever its routing key", async () => {
    const { exchange, queue } = suite.names("fanout");
    const config = agentConfig({ exchange, queue, amqp: { exchange_type: "fanout" } });
    delete (config.async_agent as Array<{ consumer: Record<string, unknown> }>)[0]?.consumer.topic;
    const agent = AgentProcess.start(config);
    await agent.ready();
    await deliversExactly(
      queue,
      exchange,
      [
        ["a", {}, 1],
        ["", {}, 2],
        ["x.y.z", {}, 3],
      ],
      [1, 2, 3],
    );
    assert.equal(await agent.stop(), 0);
  });

  it("a headers exchange bound with x-match all delivers only the messages with every header", async () => {
    const { exchange, queue } = suite.names("headers");
    const config = agentConfig({
      exchange,
      queue,
      amqp: {
        exchange_type: "headers",
        bindings: [{ arguments: { "x-match": "all", type: "order", region: "eu" } }],
      },
    });
    delete (config.async_agent as Array<{ consumer: Record<string, unknown> }>)[0]?.consumer.topic;
    const agent = AgentProcess.start(config);
    await agent.ready();
    await deliversExactly(
      queue,
      exchange,
      [
        ["k", { type: "order", region: "eu" }, 1],
        ["k", { type: "order", region: "us" }, 2],
        ["k", { type: "order" }, 3],
        ["k", { type: "order", region: "eu", extra: 1 }, 4],
        ["k", {}, 5],
      ],
      [1, 4],
    );
    assert.equal(await agent.stop(), 0);
  });

  it("a topic exchange with three bindings delivers what they route and nothing else", async () => {
    const { exchange, queue } = suite.names("bindings");
    const config = agentConfig({
      exchange,
      queue,
      topic: "order.created",
      amqp: { bindings: [{ routing_key: "order.cancelled" }, { routing_key: "refund.#" }] },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    await deliversExactly(
      queue,
      exchange,
      [
        ["order.created", {}, 1],
        ["order.cancelled", {}, 2],
        ["refund.eu.partial", {}, 3],
        ["order.updated", {}, 4],
        ["invoice.created", {}, 5],
      ],
      [1, 2, 3],
    );
    assert.equal(await agent.stop(), 0);
  });

  it("an existing exchange of another type fails with the type it has and the field to change", async () => {
    const { exchange, queue } = suite.names("wrongtype");
    await suite.broker.channel.assertExchange(exchange, "fanout", { durable: false });
    const agent = AgentProcess.start(agentConfig({ exchange, queue, connection: { max_retries: 1 } }));
    assert.equal(await agent.exited, 1);
    assert.match(agent.stdout, /exchange_type/);
    assert.match(agent.stdout, /PRECONDITION_FAILED.*'fanout'/);
  });
});

describe("declare: false, and a broker user without configure permission", () => {
  const suite = new SuiteBroker();

  /** Declares what the agent would (exchange, queue with arguments it does not know, its own exchange and DLQ). */
  async function predeclare(exchange: string, queue: string): Promise<void> {
    const channel = suite.broker.channel;
    await channel.assertExchange(exchange, "topic", { durable: true });
    await channel.assertQueue(queue, { durable: true, arguments: { "x-max-length": 1000 } });
    await channel.bindQueue(queue, exchange, "#");
    await channel.assertExchange(`${queue}.agent`, "direct", { durable: true });
    await channel.assertQueue(`${queue}.dlq`, { durable: true });
    await channel.bindQueue(`${queue}.dlq`, `${queue}.agent`, "dead-letter");
    // Where a message that failed a circuit-breaker probe is set aside: back to the queue's tail at once.
    await channel.assertQueue(`${queue}.retry.setaside`, {
      durable: true,
      arguments: { "x-message-ttl": 0, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue },
    });
    await channel.bindQueue(`${queue}.retry.setaside`, `${queue}.agent`, "retry.setaside");
  }

  it("consumes a queue declared with arguments the agent does not know, as a user that may not configure", async () => {
    const { exchange, queue } = suite.names("nodeclare");
    await predeclare(exchange, queue);
    const user = await createBrokerUser("readwrite", { configure: "^$", write: ".*", read: ".*" });
    try {
      const host = AMQP_URL.replace("//guest:guest@", `//${user.name}:${user.password}@`);
      const config = agentConfig({
        exchange,
        queue,
        amqp: { host, declare: false, durable: true },
        lambda: { max_retries: 0 },
      });
      const agent = AgentProcess.start(config);
      await agent.ready();
      await suite.broker.publish(exchange, "k", [{ id: 1 }, { id: 2, fail: "always" }]);
      await waitFor("the healthy message", () => probeIds(queue).has(1));
      await waitFor(
        "the failing one dead-lettered",
        async () => (await suite.broker.ready(`${queue}.dlq`)) === 1,
      );
      assert.equal(await agent.stop(), 0);
      assert.doesNotMatch(agent.stdout, /PRECONDITION_FAILED|ACCESS_REFUSED/);
      // The same user cannot create what does not exist: refused by the broker, with the way out.
      const declaring = AgentProcess.start(
        agentConfig({
          exchange,
          queue: `${queue}-new`,
          amqp: { host, durable: true },
          connection: { max_retries: 1 },
        }),
      );
      assert.equal(await declaring.exited, 1);
      assert.ok(
        declaring.countLogs(/ACCESS_REFUSED.*"declare": false/) >= 1,
        declaring.stdout.slice(0, 2000),
      );
    } finally {
      await user.remove();
    }
  });

  it("a missing queue with declare: false: exit 1 naming the queue; validate prints what to declare", async () => {
    const { exchange, queue } = suite.names("missing");
    await suite.broker.channel.assertExchange(exchange, "topic", { durable: true });
    const config = agentConfig({ exchange, queue, amqp: { declare: false } });
    const agent = AgentProcess.start(config);
    assert.equal(await agent.exited, 1);
    assert.equal(agent.countLogs(new RegExp(`queue "${queue}" does not exist`)), 1);
    const validate = await runCli(["validate", "--config", writeConfig(config)]);
    assert.equal(validate.code, 0);
    assert.match(validate.stdout, /declare +no: checks that what is below exists/);
    assert.match(validate.stdout, new RegExp(`own queue +${queue}\\.dlq`));
  });
});

describe("filter_patterns: only matching messages are invoked", () => {
  const suite = new SuiteBroker();

  it("1,000 messages, patterns on a body field and a header: exactly those invoked, the rest acked and counted", async () => {
    const { exchange, queue } = suite.names("filter");
    const config = agentConfig({
      exchange,
      queue,
      consumer: { workers: 10 },
      lambda: {
        filter_patterns: [
          { data: { kind: ["order"], amount: [{ numeric: [">=", 100] }] } },
          { basicProperties: { headers: { tenant: [{ prefix: "vip-" }] } } },
        ],
      },
      options: { http: { enabled: true, address: "127.0.0.1:0" } },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    const expected = new Set<number>();
    for (let id = 0; id < 1000; id++) {
      const kind = id % 3 === 0 ? "order" : "refund";
      const amount = (id * 37) % 200;
      const tenant = id % 10 === 7 ? "vip-acme" : "std-acme";
      if ((kind === "order" && amount >= 100) || tenant.startsWith("vip-")) expected.add(id);
      await suite.broker.publish(exchange, "k", [{ id, kind, amount }], { headers: { tenant } });
    }
    await waitFor("the queue settled", async () => (await suite.broker.ready(queue)) === 0, 60_000);
    await waitFor("every match invoked", () => probeIds(queue).size === expected.size, 60_000);
    const text = await (await fetch(`${await agent.httpBase()}/metrics`)).text();
    assert.equal(await agent.stop(), 0);
    assert.deepEqual(
      [...probeIds(queue)].sort((a, b) => a - b),
      [...expected].sort((a, b) => a - b),
    );
    const filtered = metric(text, "amqp_lambda_agent_messages_filtered_total");
    process.stderr.write(`filter: 1000 published, ${expected.size} invoked, ${filtered} filtered\n`);
    assert.equal(filtered, 1000 - expected.size);
    assert.equal(
      metric(text, "amqp_lambda_agent_messages_acked_total"),
      1000,
      "filtered messages are acked too",
    );
  });
});
