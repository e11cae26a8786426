import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AgentProcess, runCli, writeConfig } from "../helpers/agent-process.js";
import { SuiteBroker, uniqueName } from "../helpers/broker.js";
import { agentConfig } from "../helpers/config.js";
import { outageScenario } from "../helpers/outage.js";
import { probeIds, probeRecords } from "../helpers/probe.js";
import { waitFor } from "../helpers/wait.js";

const ids = (n: number, extra: Record<string, unknown> = {}) =>
  Array.from({ length: n }, (_, id) => ({ id, ...extra }));

describe("hardening: back-pressure, hostile messages, dead-letter routing", () => {
  const suite = new SuiteBroker();

  it("an auto-delete queue under load is never deleted by back-pressure: prefetch does it, not basic.cancel", async () => {
    const { exchange, queue } = suite.names("autodelete");
    // The reproduction: delete: true, prefetch_count 0 (KrakenD's unlimited), 2 workers, a slow function.
    const config = agentConfig({
      exchange,
      queue,
      consumer: { workers: 2 },
      amqp: { delete: true, prefetch_count: 0 },
      options: { http: { enabled: true, address: "127.0.0.1:0" } },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    const base = await agent.httpBase();
    // Busy is ready: /readyz stays 200 while the agent holds a full prefetch window.
    const readiness: number[] = [];
    const poll = setInterval(() => {
      void fetch(`${base}/readyz`).then(
        (r) => readiness.push(r.status),
        () => undefined,
      );
    }, 100);
    const total = 400;
    // Published while the agent consumes: a deleted auto-delete exchange would fail these publishes (404).
    for (let start = 0; start < total; start += 100) {
      await suite.broker.publish(
        exchange,
        "k",
        Array.from({ length: 100 }, (_, i) => ({ id: start + i, sleepMs: 10 })),
      );
    }
    await waitFor(`all ${total} invoked`, () => probeIds(queue).size === total, 120_000);
    clearInterval(poll);
    assert.ok(readiness.length > 10, `polled /readyz ${readiness.length} times`);
    assert.deepEqual([...new Set(readiness)], [200], "busy, never not ready");
    const { messageCount } = await suite.broker.channel.checkQueue(queue);
    assert.equal(messageCount, 0, "the queue still exists and is empty");
    assert.match(
      agent.stdout,
      /basic\.qos set to 100 \(max_backlog\)/,
      "start-up says how prefetch 0 is bounded",
    );
    assert.equal(
      agent.countLogs(/consuming /),
      1,
      "one consumer all along: never cancelled, never reconnected",
    );
    assert.equal(await agent.stop(), 0);
  });

  for (const [label, lambda] of [
    ["batches of 10 with a batch window", { batch_size: 10, batch_window: "200ms", max_retries: 0 }],
    ["one message per invocation", { batch_size: 1, max_retries: 0 }],
  ] as const) {
    it(`hostile headers and bodies cannot crash, stall or close the channel (${label})`, async () => {
      const { exchange, queue } = suite.names("hostile");
      const agent = AgentProcess.start(agentConfig({ exchange, queue, lambda }));
      await agent.ready();
      let deep: Record<string, unknown> = { leaf: "x" };
      for (let i = 0; i < 2000; i++) deep = { d: deep };
      const hostile: Array<{ body: Buffer; headers: Record<string, unknown>; contentType?: string }> = [
        { body: Buffer.from('{"id":1}'), headers: { evil: { toString: 1 } } },
        { body: Buffer.from('{"id":2}'), headers: JSON.parse('{"__proto__": {"polluted": 1}, "x": 1}') },
        { body: Buffer.from('{"id":3}'), headers: { constructor: "c", valueOf: { toString: 2 } } },
        { body: Buffer.from('{"id":4}'), headers: { big: "x".repeat(60 * 1024) } },
        { body: Buffer.from('{"id":5}'), headers: { deep } },
        { body: Buffer.from([0xff, 0xfe, 0x7b, 0x22]), headers: { id: 6 } },
        { body: Buffer.from('{"id":7}'), headers: { list: [1, "two", { three: [Buffer.from("4")] }] } },
      ];
      for (const message of hostile) {
        suite.broker.channel.publish(exchange, "k", message.body, {
          headers: message.headers,
          contentType: message.contentType ?? "application/json",
        });
      }
      await suite.broker.publish(exchange, "k", [{ id: 100 }]);
      await waitFor("a healthy message after the hostile ones", () => probeIds(queue).has(100), 30_000);
      // Every hostile message is settled: invoked, or dead-lettered with an error type.
      await waitFor(
        "every message settled",
        async () =>
          probeRecords(queue).length + (await suite.broker.ready(`${queue}.dlq`)) >= hostile.length + 1,
        30_000,
      );
      const dead = await suite.broker.drain(`${queue}.dlq`);
      for (const message of dead)
        assert.ok(message.properties.headers?.["x-agent-error-type"], "a clear error type");
      const invoked = probeRecords(queue).length;
      assert.equal(
        invoked + dead.length,
        hostile.length + 1,
        `invoked ${invoked}, dead-lettered ${dead.length}`,
      );
      assert.ok(
        dead.some((m) => m.properties.headers?.["x-agent-error-type"] === "UnrepresentableMessage"),
        "the 2,000-deep header table cannot go into an event: dead-lettered",
      );
      assert.equal(await suite.broker.ready(queue), 0, "nothing left unsettled");
      assert.equal(agent.countLogs(/consuming /), 1, "the channel stayed open");
      assert.equal(await agent.stop(), 0, "the process stayed up");
    });
  }

  it("a CC header cannot steer a dead letter or a redrive into another queue", async () => {
    const { exchange, queue } = suite.names("cc");
    const victim = uniqueName("victim");
    suite.track(victim);
    await suite.broker.channel.assertQueue(victim);
    const config = agentConfig({ exchange, queue, lambda: { max_retries: 0 } });
    const agent = AgentProcess.start(config);
    await agent.ready();
    await suite.broker.publish(exchange, "k", [{ id: 1, fail: "always" }], {
      headers: { CC: [victim], tenant: "a" },
      deliveryMode: 1,
    });
    await waitFor("the dead letter", async () => (await suite.broker.ready(`${queue}.dlq`)) === 1);
    assert.equal(await suite.broker.ready(victim), 0, "no copy in the queue the CC header named");
    assert.equal(await agent.stop(), 0);
    const [dead] = await suite.broker.drain(`${queue}.dlq`);
    const headers = dead?.properties.headers ?? {};
    assert.equal(headers.CC, undefined, "CC is not a routing header of the copy");
    assert.deepEqual(headers["x-agent-original-cc"], [victim], "kept for the record");
    assert.equal(dead?.properties.deliveryMode, 2, "a dead letter is persistent");
    assert.equal(headers["x-agent-original-delivery-mode"], 1);
    // Put it back in the dead-letter queue and redrive it: the redrive does not route by CC either.
    await suite.broker.channel.publish(`${queue}.agent`, "dead-letter", dead?.content ?? Buffer.alloc(0), {
      headers,
      deliveryMode: 2,
    });
    await waitFor(
      "back in the dead-letter queue",
      async () => (await suite.broker.ready(`${queue}.dlq`)) === 1,
    );
    const redrive = await runCli(["redrive", "--config", writeConfig(config)]);
    assert.equal(redrive.code, 0, redrive.stderr);
    assert.match(redrive.stdout, /moved 1 message/);
    assert.equal(await suite.broker.ready(victim), 0, "redrive did not copy it into the victim queue");
    assert.equal(await suite.broker.ready(queue), 1, "redrive put it back on its own exchange");
  });
});

describe("outages: the platform failing is not the messages' failure", () => {
  const suite = new SuiteBroker();
  const { proxy, outage, outageConfig } = outageScenario(suite);

  it("12 s of 429 for every call, 300 queued: none dead-lettered, all processed after recovery", async () => {
    const { dead, callsDuringOutage } = await outage("throttle", 300, 12_000);
    assert.equal(dead, 0);
    assert.ok(callsDuringOutage <= 150, `${callsDuringOutage} calls during the outage (at most 150)`);
  });

  it("10 s of ResourceNotFoundException, 300 queued: none dead-lettered, all processed after recovery", async () => {
    const { dead, callsDuringOutage } = await outage("not_found", 300, 10_000);
    assert.equal(dead, 0);
    assert.ok(callsDuringOutage <= 150, `${callsDuringOutage} calls during the outage (at most 150)`);
  });

  it("15 s of function errors for every message, 1,000 queued: at most 20 dead-lettered, the rest processed", async () => {
    const { dead, callsDuringOutage } = await outage("function_error", 1000, 15_000);
    assert.ok(dead <= 20, `${dead} dead-lettered (at most 20)`);
    assert.ok(callsDuringOutage <= 400, `${callsDuringOutage} calls during the outage (at most 400)`);
  });

  it("an outage that outlasts consumer_timeout's margin: held messages go back to the queue, then are processed", async () => {
    const { exchange, queue } = suite.names("outage-release");
    const config = outageConfig({ exchange, queue, amqp: { consumer_timeout: "4s" } });
    await suite.broker.declare(exchange, queue, "#", true);
    await suite.broker.publish(exchange, "k", ids(30), { persistent: true });
    proxy.fault = "not_found";
    const agent = AgentProcess.start(config);
    await agent.ready();
    await agent.waitForLog(/circuit breaker open/, 20_000);
    // At 80% of consumer_timeout (3.2 s) the held window goes back and consuming pauses.
    await agent.waitForLog(/handed back to the queue before RabbitMQ's consumer_timeout/, 20_000);
    await waitFor("all 30 back in the queue", async () => (await suite.broker.ready(queue)) === 30, 10_000);
    proxy.fault = "pass";
    await waitFor("every message invoked after recovery", () => probeIds(queue).size === 30, 60_000);
    assert.equal(await agent.stop(), 0);
    assert.equal(await suite.broker.ready(`${queue}.dlq`), 0, "nothing dead-lettered");
    assert.equal(await suite.broker.ready(queue), 0);
  });
});
