import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AgentProcess } from "../helpers/agent-process.js";
import { SuiteBroker } from "../helpers/broker.js";
import { agentConfig } from "../helpers/config.js";
import { metric } from "../helpers/metrics.js";
import { probeRecords } from "../helpers/probe.js";
import { waitFor } from "../helpers/wait.js";

describe("retries that wait on the broker (retry_delays)", () => {
  const suite = new SuiteBroker();

  it("waits 2 s then 4 s in retry queues, across a restart, holding nothing; an always-failing message is dead-lettered after 3 attempts", async () => {
    const { exchange, queue } = suite.names("retry");
    suite.track(`${queue}.retry.2s`, `${queue}.retry.4s`);
    const config = agentConfig({
      exchange,
      queue,
      amqp: { durable: true, retry_delays: ["2s", "4s"] },
      lambda: { max_retries: 0 },
      options: { http: { enabled: true, address: "127.0.0.1:0" } },
    });
    const first = AgentProcess.start(config);
    await first.ready();
    const base = await first.httpBase();
    await suite.broker.publish(
      exchange,
      "order.created",
      [
        { id: 1, fail: "times", times: 2 },
        { id: 2, fail: "always" },
      ],
      { persistent: true, headers: { CC: ["nowhere"] } },
    );
    const invocations = (id: number) => probeRecords(queue).filter((r) => r.id === id);
    await waitFor(
      "both in the first retry queue",
      async () => (await suite.broker.ready(`${queue}.retry.2s`)) === 2,
    );
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.equal(metric(metrics, "amqp_lambda_agent_held_messages"), 0, "nothing held while they wait");
    assert.equal(metric(metrics, "amqp_lambda_agent_messages_delayed_total"), 2);
    // Stopped during the first wait, started again: the wait goes on in the broker.
    assert.equal(await first.stop(), 0);
    const second = AgentProcess.start(config);
    await second.ready();
    await waitFor("the third invocation of message 1", () => invocations(1).length === 3, 30_000);
    await waitFor(
      "message 2 dead-lettered",
      async () => (await suite.broker.ready(`${queue}.dlq`)) === 1,
      30_000,
    );
    assert.equal(await second.stop(), 0);
    const [a, b, c] = invocations(1).map((r) => r.at);
    assert.ok(a !== undefined && b !== undefined && c !== undefined);
    assert.ok(b - a >= 2000, `second attempt ${b - a} ms after the first (at least 2 s)`);
    assert.ok(c - b >= 4000, `third attempt ${c - b} ms after the second (at least 4 s)`);
    for (const record of invocations(1)) {
      assert.equal(record.exchange, exchange, "the function sees the original exchange");
      assert.equal(record.routingKey, "order.created", "and the original routing key");
    }
    assert.equal(invocations(2).length, 3, "the always-failing message: 3 attempts in all");
    const [dead] = await suite.broker.drain(`${queue}.dlq`);
    assert.equal(JSON.parse(dead?.content.toString() ?? "{}").id, 2);
    const headers = dead?.properties.headers ?? {};
    assert.equal(headers["x-agent-attempts"], 3, "the dead letter says how many attempts it had in all");
    assert.equal(headers["x-agent-retry-count"], 2);
    assert.equal(headers["x-agent-original-routing-key"], "order.created");
    assert.equal(await suite.broker.ready(queue), 0, "nothing lost, nothing left");
    assert.equal(await suite.broker.ready(`${queue}.retry.2s`), 0);
    assert.equal(await suite.broker.ready(`${queue}.retry.4s`), 0);
  });

  it("a forged retry count can only shorten the schedule", async () => {
    const { exchange, queue } = suite.names("retry-forged");
    suite.track(`${queue}.retry.2s`, `${queue}.retry.4s`);
    const agent = AgentProcess.start(
      agentConfig({ exchange, queue, amqp: { retry_delays: ["2s", "4s"] }, lambda: { max_retries: 0 } }),
    );
    await agent.ready();
    await suite.broker.publish(exchange, "k", [{ id: 1, fail: "always" }], {
      headers: { "x-agent-retry-count": 99, "x-agent-original-routing-key": "x".repeat(300) },
    });
    await waitFor("dead-lettered at once", async () => (await suite.broker.ready(`${queue}.dlq`)) === 1);
    assert.equal(await agent.stop(), 0);
    const records = probeRecords(queue);
    assert.equal(records.length, 1, "no retry round was added");
    assert.equal(records[0]?.routingKey, "k", "an overlong forged original routing key is not trusted");
  });
});
