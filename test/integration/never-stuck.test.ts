import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { AgentProcess } from "../helpers/agent-process.js";
import { rabbitmqctl, SuiteBroker } from "../helpers/broker.js";
import { agentConfig } from "../helpers/config.js";
import { metric } from "../helpers/metrics.js";
import { probeRecords } from "../helpers/probe.js";
import { waitFor } from "../helpers/wait.js";

const invocationsOf = (queue: string) => {
  const counts = new Map<number, number>();
  for (const record of probeRecords(queue)) counts.set(record.id, (counts.get(record.id) ?? 0) + 1);
  return counts;
};

describe("never stuck: poison bursts drain, retry bursts keep their delays, a memory alarm does not stop consuming", () => {
  const suite = new SuiteBroker();

  it("40 always-failing messages ahead of 20 healthy ones (defaults, breaker on): all 40 dead-lettered, all 20 processed", async () => {
    const { exchange, queue } = suite.names("poison");
    const config = agentConfig({
      exchange,
      queue,
      consumer: { workers: 4 },
      amqp: { prefetch_count: 10 },
      options: { http: { enabled: true, address: "127.0.0.1:0" } },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    const base = await agent.httpBase();
    const poison = Array.from({ length: 40 }, (_, i) => ({ id: i + 1, fail: "always" }));
    const healthy = Array.from({ length: 20 }, (_, i) => ({ id: 100 + i }));
    const started = Date.now();
    await suite.broker.publish(exchange, "k", [...poison, ...healthy]);
    await waitFor(
      "all 20 healthy processed and all 40 dead-lettered",
      async () =>
        healthy.every((h) => invocationsOf(queue).has(h.id)) &&
        (await suite.broker.ready(`${queue}.dlq`)) === 40,
      180_000,
      500,
    );
    const tookMs = Date.now() - started;
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.equal(await agent.stop(), 0);
    const counts = invocationsOf(queue);
    const most = Math.max(...poison.map((p) => counts.get(p.id) ?? 0));
    // max_retries 2: three charged attempts, and at most two probes besides.
    assert.ok(most <= 5, `a poison message was invoked ${most} times (at most max_retries + 1 + 2 probes)`);
    for (const h of healthy) assert.equal(counts.get(h.id), 1, `healthy ${h.id} invoked once`);
    const dead = await suite.broker.drain(`${queue}.dlq`);
    assert.deepEqual(
      dead.map((m) => JSON.parse(m.content.toString()).id).sort((a, b) => a - b),
      poison.map((p) => p.id),
    );
    for (const message of dead) assert.equal(message.properties.headers?.["x-agent-attempts"], 3);
    assert.equal(await suite.broker.ready(queue), 0, "nothing left behind");
    const setAside = metric(text, "amqp_lambda_agent_messages_set_aside_total");
    process.stderr.write(
      `poison burst: 40 dead-lettered, 20 processed in ${(tookMs / 1000).toFixed(1)} s, most invocations of a poison message ${most}, ${setAside} set aside, ${metric(text, "amqp_lambda_agent_circuit_openings_total")} breaker opening(s)\n`,
    );
  });

  it('retry_delays ["2s","4s"], 10 messages failing twice: three invocations ≥ 2 s and ≥ 4 s apart, the breaker stays closed', async () => {
    const { exchange, queue } = suite.names("retry-burst");
    suite.track(`${queue}.retry.2s`, `${queue}.retry.4s`);
    const config = agentConfig({
      exchange,
      queue,
      amqp: { retry_delays: ["2s", "4s"] },
      lambda: { max_retries: 0 },
      options: { http: { enabled: true, address: "127.0.0.1:0" } },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    const base = await agent.httpBase();
    const messages = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, fail: "times", times: 2 }));
    await suite.broker.publish(exchange, "k", messages);
    await waitFor(
      "every message's third invocation",
      () => {
        const counts = invocationsOf(queue);
        return messages.every((m) => counts.get(m.id) === 3);
      },
      60_000,
    );
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.equal(await agent.stop(), 0);
    for (const { id } of messages) {
      const [a, b, c] = probeRecords(queue)
        .filter((r) => r.id === id)
        .map((r) => r.at);
      assert.ok(a !== undefined && b !== undefined && c !== undefined);
      assert.ok(b - a >= 2000, `message ${id}: second invocation ${b - a} ms after the first`);
      assert.ok(c - b >= 4000, `message ${id}: third invocation ${c - b} ms after the second`);
    }
    assert.equal(metric(text, "amqp_lambda_agent_circuit_openings_total"), 0, "the breaker stayed closed");
    assert.equal(await suite.broker.ready(`${queue}.dlq`), 0);
  });

  describe("a memory alarm", () => {
    let watermark = "0.4";
    const restore = () => {
      try {
        execFileSync("rabbitmqctl", ["-q", "set_vm_memory_high_watermark", watermark]);
      } catch {
        // Reported by the test that raised it.
      }
    };
    process.once("exit", restore);
    after(restore);

    it("20 s of a resource alarm: healthy messages keep being processed, failed ones wait held and are dead-lettered after it", async () => {
      const current = await rabbitmqctl("eval", "vm_memory_monitor:get_vm_memory_high_watermark().");
      if (/^[\d.]+$/.test(current.trim())) watermark = current.trim();
      const { exchange, queue } = suite.names("alarm");
      const config = agentConfig({
        exchange,
        queue,
        consumer: { workers: 4 },
        amqp: { prefetch_count: 0 },
        lambda: { max_retries: 0 },
        options: { http: { enabled: true, address: "127.0.0.1:0" } },
      });
      const agent = AgentProcess.start(config);
      await agent.ready();
      const base = await agent.httpBase();
      // 20% failing; each invocation takes 100 ms. Published before the alarm (it blocks publishers).
      const bodies = Array.from({ length: 300 }, (_, i) =>
        i % 5 === 0 ? { id: i + 1, fail: "always", sleepMs: 100 } : { id: i + 1, sleepMs: 100 },
      );
      await suite.broker.publish(exchange, "k", bodies, { persistent: true });
      await rabbitmqctl("set_vm_memory_high_watermark", "absolute", "1");
      const alarmFrom = Date.now();
      let readyDuringAlarm = true;
      let publisherBlocked = false;
      try {
        await agent.waitForLog(/blocked the publishing connection/, 15_000);
        while (Date.now() - alarmFrom < 20_000) {
          const response = await fetch(`${base}/readyz`);
          const body = (await response.json()) as { agents: Array<{ publisher: string }> };
          readyDuringAlarm &&= response.status === 200 && (await fetch(`${base}/healthz`)).status === 200;
          publisherBlocked ||= body.agents[0]?.publisher === "blocked";
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      } finally {
        await rabbitmqctl("set_vm_memory_high_watermark", watermark);
      }
      const alarmTo = Date.now();
      const healthyIds = new Set(bodies.filter((b) => !b.fail).map((b) => b.id));
      const healthyDuring = probeRecords(queue).filter(
        (r) => healthyIds.has(r.id) && r.at >= alarmFrom && r.at <= alarmTo,
      ).length;
      await waitFor(
        "all 60 failed messages dead-lettered after the alarm",
        async () => (await suite.broker.ready(`${queue}.dlq`)) === 60,
        60_000,
      );
      await waitFor(
        "every healthy message processed",
        () => {
          const seen = new Set(probeRecords(queue).map((r) => r.id));
          return [...healthyIds].every((id) => seen.has(id));
        },
        60_000,
      );
      assert.equal(await agent.stop(), 0);
      assert.ok(
        healthyDuring >= 40,
        `${healthyDuring} healthy messages processed during the alarm (at least 40)`,
      );
      assert.ok(publisherBlocked, "/readyz said publisher: blocked during the alarm");
      assert.ok(readyDuringAlarm, "/readyz and /healthz stayed 200 while only the publisher was blocked");
      assert.equal(await suite.broker.ready(queue), 0, "nothing lost, nothing left");
      process.stderr.write(
        `memory alarm: ${healthyDuring} healthy processed during 20 s of alarm, 60 dead-lettered after it\n`,
      );
    });
  });
});
