import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AgentProcess } from "../helpers/agent-process.js";
import { SuiteBroker } from "../helpers/broker.js";
import { agentConfig } from "../helpers/config.js";
import { probeIds, probeRecords } from "../helpers/probe.js";
import { SEED_AMQP_FLAGS } from "../helpers/seed.js";
import { waitFor } from "../helpers/wait.js";

describe("core agent against the real broker and the real Invoke API", () => {
  const suite = new SuiteBroker();
  const names = (prefix: string) => suite.names(prefix);

  it("with the seed's exact settings, invokes each matching message once and acks it; others are not delivered", async () => {
    const { exchange, queue } = names("seed");
    const config = agentConfig({
      exchange,
      queue,
      topic: "order.*",
      amqp: { ...SEED_AMQP_FLAGS },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    const warning = await agent.waitForLog(/config notes/);
    assert.match(String(warning.msg), /no_wait ignored.*no_local has no effect/);
    const matching = Array.from({ length: 300 }, (_, i) => ({ id: i }));
    await suite.broker.publish(exchange, "order.created", matching.slice(0, 150));
    await suite.broker.publish(exchange, "order.updated", matching.slice(150));
    await suite.broker.publish(exchange, "invoice.created", [{ id: 1000 }, { id: 1001 }]);
    await suite.broker.publish(exchange, "order.created.extra", [{ id: 1002 }]);
    await waitFor("300 invocations", () => probeIds(queue).size >= 300, 60_000);
    assert.equal(await agent.stop(), 0);
    const records = probeRecords(queue);
    assert.equal(records.length, 300, "each message invoked exactly once");
    assert.deepEqual(
      [...probeIds(queue)].sort((a, b) => a - b),
      matching.map((m) => m.id),
    );
    assert.ok(records.every((r) => r.exchange === exchange && r.routingKey.startsWith("order.")));
    assert.equal(await suite.broker.ready(queue), 0, "every message acked");
    assert.equal(agent.countLogs(/config notes/), 1, "one warning line");
  });

  it("a function that throws leaves the message unacked (requeue policy): it is back in the queue after stop", async () => {
    const { exchange, queue } = names("throws");
    const config = agentConfig({
      exchange,
      queue,
      amqp: { failure_policy: "requeue", requeue_delay: "200ms" },
      lambda: { max_retries: 0 },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    await suite.broker.publish(exchange, "any", [{ id: 1, fail: "always" }]);
    await waitFor("the invocation", () => probeRecords(queue).length >= 1);
    assert.equal(await agent.stop(), 0);
    assert.equal(await suite.broker.ready(queue), 1, "the failed message is still in the queue");
  });

  it("with auto_ack a failing message is not redelivered", async () => {
    const { exchange, queue } = names("autoack");
    const config = agentConfig({ exchange, queue, amqp: { auto_ack: true }, lambda: { max_retries: 0 } });
    const agent = AgentProcess.start(config);
    await agent.ready();
    await suite.broker.publish(exchange, "any", [{ id: 1, fail: "always" }, { id: 2 }]);
    // The failure is reported on the dead-letter path: wait for that, then check nothing came back.
    await waitFor("the dead letter", async () => (await suite.broker.ready(`${queue}.dlq`)) === 1);
    await waitFor("the healthy message", () => probeIds(queue).has(2));
    assert.equal(await agent.stop(), 0);
    const attempts = probeRecords(queue).filter((r) => r.id === 1);
    assert.equal(attempts.length, 1, "invoked once, never redelivered");
    assert.equal(attempts[0]?.redelivered, false);
    assert.equal(await suite.broker.ready(queue), 0);
  });

  it("SIGTERM while invocations are in flight: they complete and are acked, exit 0, no redelivery after restart", async () => {
    const { exchange, queue } = names("drain");
    const config = agentConfig({
      exchange,
      queue,
      consumer: { workers: 5, timeout: "10s" },
      amqp: { prefetch_count: 5 },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    await suite.broker.publish(
      exchange,
      "any",
      Array.from({ length: 5 }, (_, i) => ({ id: i, sleepMs: 1500 })),
    );
    await waitFor("5 invocations started", () => probeRecords(queue).length === 5);
    agent.signal("SIGTERM");
    assert.equal(await agent.exited, 0);
    assert.equal(await suite.broker.ready(queue), 0, "nothing returned to the queue");
    const restarted = AgentProcess.start(config);
    await restarted.ready();
    await suite.broker.publish(exchange, "any", [{ id: 99 }]);
    await waitFor("the new message", () => probeIds(queue).has(99));
    assert.equal(await restarted.stop(), 0);
    assert.equal(probeRecords(queue).length, 6, "the 5 drained messages were not redelivered");
  });
});
