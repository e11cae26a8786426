import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { AgentProcess } from "../helpers/agent-process.js";
import { AMQP_URL, closeConnections, rabbitmqctl, SuiteBroker, uniqueName } from "../helpers/broker.js";
import { type BrokerUser, createBrokerUser } from "../helpers/broker-user.js";
import { agentConfig as baseConfig, type TestAgentOptions } from "../helpers/config.js";
import { probeIds, probeRecords } from "../helpers/probe.js";
import { waitFor } from "../helpers/wait.js";

const ids = (n: number, extra: Record<string, unknown> = {}) =>
  Array.from({ length: n }, (_, id) => ({ id, ...extra }));

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

describe("fault injection: nothing lost, nothing stuck", () => {
  const suite = new SuiteBroker();
  const names = (prefix: string) => suite.names(prefix);
  // The agents connect as a user of their own, so the last test can scan every log line for its password.
  let user: BrokerUser;
  const cliOutputs: string[] = [];
  const agentConfig = (o: TestAgentOptions) => {
    const host = AMQP_URL.replace("//guest:guest@", `//${user.name}:${user.password}@`);
    return baseConfig({ ...o, amqp: { host, ...o.amqp } });
  };

  before(async () => {
    user = await createBrokerUser("fault");
  });
  after(async () => {
    await user.remove();
  });

  it("SIGKILL mid-run and restart: all 1,000 delivered, duplicates within the in-flight window", async () => {
    const { exchange, queue } = names("sigkill");
    const prefetch = 10;
    const config = agentConfig({
      exchange,
      queue,
      consumer: { workers: 5 },
      amqp: { durable: true, prefetch_count: prefetch },
    });
    await suite.broker.declare(exchange, queue, "#", true);
    await suite.broker.publish(exchange, "k", ids(1000, { sleepMs: 5 }), { persistent: true });
    const first = AgentProcess.start(config);
    await waitFor("some progress", () => probeRecords(queue).length >= 300, 60_000);
    await first.kill();
    const second = AgentProcess.start(config);
    await waitFor("all 1,000 delivered", () => probeIds(queue).size === 1000, 120_000);
    assert.equal(await second.stop(), 0);
    const duplicates = probeRecords(queue).length - 1000;
    assert.ok(
      duplicates >= 0 && duplicates <= prefetch,
      `duplicates ${duplicates} must be within the in-flight window (${prefetch})`,
    );
    process.stderr.write(
      `sigkill: 1000 published, ${probeIds(queue).size} delivered, ${duplicates} duplicates\n`,
    );
    assert.equal(await suite.broker.ready(queue), 0, "nothing left");
  });

  it("the broker closes the agent's connection twice: the agent stays up, reconnects and delivers all", async () => {
    const { exchange, queue } = names("close");
    const name = uniqueName("closer");
    const config = agentConfig({
      name,
      exchange,
      queue,
      consumer: { workers: 5 },
      amqp: { prefetch_count: 10 },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    await suite.broker.publish(exchange, "k", ids(600, { sleepMs: 5 }));
    for (const seen of [150, 350]) {
      await waitFor(`${seen} delivered`, () => probeIds(queue).size >= seen, 60_000);
      const before = agent.countLogs(/consuming /);
      assert.equal(await closeConnections(`amqp-lambda-agent:${name}:`), 1);
      await waitFor("reconnected", () => agent.countLogs(/consuming /) > before, 30_000);
    }
    await waitFor("all 600 delivered", () => probeIds(queue).size === 600, 60_000);
    assert.equal(await agent.stop(), 0, "the agent was up all along and drains cleanly");
    assert.equal(agent.countLogs(/consuming /), 3);
    assert.equal(await suite.broker.ready(queue), 0);
  });

  it("auto_ack and a connection closed mid-run: messages already received are still invoked, none lost", async () => {
    const { exchange, queue } = names("autoack-close");
    const name = uniqueName("autoack-closer");
    const config = agentConfig({ name, exchange, queue, consumer: { workers: 2 }, amqp: { auto_ack: true } });
    const agent = AgentProcess.start(config);
    await agent.ready();
    await suite.broker.publish(exchange, "k", ids(300, { sleepMs: 10 }));
    await waitFor("some progress", () => probeIds(queue).size >= 50, 60_000);
    assert.equal(await closeConnections(`amqp-lambda-agent:${name}:`), 1);
    await waitFor("all 300 delivered", () => probeIds(queue).size === 300, 60_000);
    assert.equal(await agent.stop(), 0);
    assert.equal(
      probeRecords(queue).length,
      300,
      "each exactly once: auto_ack messages are never redelivered",
    );
  });

  it("the broker restarts mid-run (durable queue, persistent messages): all delivered", async () => {
    const { exchange, queue } = names("restart");
    const config = agentConfig({
      exchange,
      queue,
      consumer: { workers: 5 },
      amqp: { durable: true, prefetch_count: 10 },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    await suite.broker.publish(exchange, "k", ids(500, { sleepMs: 5 }), { persistent: true });
    await waitFor("some progress", () => probeIds(queue).size >= 100, 60_000);
    await rabbitmqctl("stop_app");
    try {
      await waitFor(
        "the agent to notice",
        () => agent.countLogs(/lost the broker channel|cannot connect/) > 0,
        30_000,
      );
    } finally {
      await rabbitmqctl("start_app");
      await rabbitmqctl("await_startup");
    }
    await suite.reconnect();
    await waitFor("all 500 delivered", () => probeIds(queue).size === 500, 120_000);
    assert.equal(await agent.stop(), 0);
    assert.equal(await suite.broker.ready(queue), 0);
  });

  it("permanent, transient and timing-out failures: retries succeed, poison is dead-lettered, the rest flows", async () => {
    const { exchange, queue } = names("poison");
    const config = agentConfig({
      exchange,
      queue,
      consumer: { workers: 5, timeout: "1s" },
      amqp: { prefetch_count: 5 },
      lambda: { max_retries: 2 },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    // The failing ten come among healthy messages: 20 before them, 80 after. (Published first, as
    // they once were, the ten are the whole of the breaker's window until the healthy ones after them
    // succeed; on a slow machine that race opened it: 10 failures of 10–19 messages is its outage rule.)
    const healthy = ids(100);
    await suite.broker.publish(exchange, "k", [
      ...healthy.slice(0, 20),
      ...Array.from({ length: 5 }, (_, i) => ({ id: 1000 + i, fail: "always" })),
      ...Array.from({ length: 3 }, (_, i) => ({ id: 2000 + i, fail: "once" })),
      ...Array.from({ length: 2 }, (_, i) => ({ id: 3000 + i, fail: "timeout", timeoutMs: 3000 })),
      ...healthy.slice(20),
    ]);
    await waitFor("the 100 healthy messages", () => ids(100).every((m) => probeIds(queue).has(m.id)), 60_000);
    await waitFor("5 dead letters", async () => (await suite.broker.ready(`${queue}.dlq`)) === 5, 30_000);
    const count = (id: number) => probeRecords(queue).filter((r) => r.id === id).length;
    await waitFor(
      "the retries of the transient failures",
      () => [2000, 2001, 2002, 3000, 3001].every((id) => count(id) >= 2),
      30_000,
    );
    // Ten messages fail at first (5 poison, 3 failing once, 2 timing out); if the breaker opened,
    // attempts while it is open would not be charged (an extra call).
    for (let i = 0; i < 5; i++)
      assert.ok(count(1000 + i) >= 3, "poison: 1 attempt + 2 retries (charged), then dead-lettered");
    for (let i = 0; i < 3; i++) assert.equal(count(2000 + i), 2, "transient: succeeded on the retry");
    for (let i = 0; i < 2; i++) assert.equal(count(3000 + i), 2, "timed out once, succeeded on the retry");
    assert.equal(
      agent.countLogs(/circuit breaker open/),
      0,
      "poison among healthy messages is not an outage",
    );
    assert.equal(await agent.stop(), 0);
    const dead = await suite.broker.drain(`${queue}.dlq`);
    assert.deepEqual(
      dead.map((m) => JSON.parse(m.content.toString()).id).sort(),
      [1000, 1001, 1002, 1003, 1004],
    );
    for (const message of dead) {
      const headers = message.properties.headers ?? {};
      assert.equal(headers["x-agent-error-type"], "Error");
      assert.match(String(headers["x-agent-error-message"]), /always fails/);
      assert.equal(headers["x-agent-attempts"], 3);
      assert.equal(headers["x-agent-function"], "amqp-lambda-agent-example-dev-probe");
      assert.equal(headers["x-agent-original-exchange"], exchange);
      assert.equal(headers["x-agent-original-routing-key"], "k");
      assert.ok(!Number.isNaN(Date.parse(String(headers["x-agent-failed-at"]))));
      assert.equal(message.properties.contentType, "application/json", "properties intact");
    }
    assert.equal(await suite.broker.ready(queue), 0);
  });

  it("redrive puts dead letters back on the exchange and they are processed once the function is fixed", async () => {
    const { exchange, queue } = names("redrive");
    // Every message failing at once looks like an outage to the circuit breaker (which would hold
    // them rather than dead-letter them): this test is about redrive, so the breaker is off.
    const config = agentConfig({
      exchange,
      queue,
      lambda: { max_retries: 0 },
      amqp: { circuit_breaker: { enabled: false } },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    await suite.broker.publish(exchange, "orders.eu", ids(20, { fail: "until-fixed" }));
    await waitFor("20 dead letters", async () => (await suite.broker.ready(`${queue}.dlq`)) === 20, 30_000);
    const { writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    writeFileSync(join(process.env.PROBE_DIR ?? "/tmp/amqp-lambda-agent-probe", `${queue}.fixed`), "");
    const { runCli, writeConfig } = await import("../helpers/agent-process.js");
    const limited = await runCli(["redrive", "--config", writeConfig(config), "--limit", "5"]);
    cliOutputs.push(limited.stdout, limited.stderr);
    assert.equal(limited.code, 0, limited.stderr);
    assert.match(limited.stdout, /moved 5 message/);
    const rest = await runCli(["redrive", "--config", writeConfig(config)]);
    cliOutputs.push(rest.stdout, rest.stderr);
    assert.equal(rest.code, 0, rest.stderr);
    assert.match(rest.stdout, /moved 15 message/);
    assert.match(rest.stderr, /redrive: 15 moved, 0 skipped, 0 left/);
    await waitFor(
      "all 20 processed after the fix",
      () => {
        const ok = probeRecords(queue).filter((r) => r.redelivered === false);
        return new Set(ok.map((r) => r.id)).size === 20 && probeRecords(queue).length === 40;
      },
      30_000,
    );
    assert.equal(await agent.stop(), 0);
    assert.equal(await suite.broker.ready(`${queue}.dlq`), 0);
    assert.equal(await suite.broker.ready(queue), 0);
    assert.ok(
      probeRecords(queue)
        .slice(20)
        .every((r) => r.routingKey === "orders.eu"),
      "original routing key kept",
    );
  });

  it("a consumer cancelled by the broker (queue deleted) is logged, re-declared and resumed", async () => {
    const { exchange, queue } = names("cancel");
    const agent = AgentProcess.start(agentConfig({ exchange, queue }));
    await agent.ready();
    await suite.broker.channel.deleteQueue(queue);
    await agent.waitForLog(/consumer cancelled by the broker/);
    await waitFor("resumed", () => agent.countLogs(/consuming /) === 2, 30_000);
    await suite.broker.publish(exchange, "k", [{ id: 1 }]);
    await waitFor("delivered after re-declare", () => probeIds(queue).has(1));
    assert.equal(await agent.stop(), 0);
  });

  it("auto_ack with a function far slower than the publisher: the agent pauses and memory stays bounded", async () => {
    const { exchange, queue } = names("autoack-mem");
    const port = 9470 + Math.floor(Math.random() * 20);
    const config = agentConfig({
      exchange,
      queue,
      consumer: { workers: 5 },
      amqp: { auto_ack: true, prefetch_count: 0 },
      options: { http: { enabled: true, address: `127.0.0.1:${port}` } },
    });
    await suite.broker.declare(exchange, queue, "#");
    const body = "x".repeat(32 * 1024);
    await suite.broker.publish(
      exchange,
      "k",
      Array.from({ length: 6000 }, (_, id) => ({ id, sleepMs: 50, body })),
    );
    const agent = AgentProcess.start(config);
    await agent.ready();
    let peakRss = 0;
    let peakHeld = 0;
    await waitFor(
      "200 invocations",
      async () => {
        peakRss = Math.max(peakRss, rssMb(agent.pid as number));
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        peakHeld = Math.max(
          peakHeld,
          Number(/amqp_lambda_agent_in_flight\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0),
        );
        return probeRecords(queue).length >= 200;
      },
      120_000,
      100,
    );
    const ready = await suite.broker.ready(queue);
    assert.equal(await agent.stop(), 0);
    // 6,000 × 32 KB = 190 MB would sit in the agent without the pause. With auto_ack the broker
    // keeps pushing until it has processed basic.cancel, so the agent overshoots its limit of 100
    // by what is on the wire (several hundred messages here), and no further.
    assert.ok(ready > 4500, `the broker kept the backlog (${ready} ready)`);
    assert.ok(peakHeld <= 2000, `agent held at most ${peakHeld} messages (limit 100, resumes at 50)`);
    assert.ok(peakRss < 250, `peak RSS ${peakRss.toFixed(0)} MB`);
    process.stderr.write(
      `auto_ack memory: peak RSS ${peakRss.toFixed(1)} MB, peak held ${peakHeld}, broker kept ${ready}\n`,
    );
  });

  it("max_rate is honoured for the whole agent", async () => {
    const { exchange, queue } = names("rate");
    const agent = AgentProcess.start(
      agentConfig({ exchange, queue, consumer: { workers: 10, max_rate: 10 }, amqp: { prefetch_count: 50 } }),
    );
    await agent.ready();
    await suite.broker.publish(exchange, "k", ids(30));
    await waitFor("30 delivered", () => probeIds(queue).size === 30, 30_000);
    assert.equal(await agent.stop(), 0);
    const times = probeRecords(queue)
      .map((r) => r.at)
      .sort((a, b) => a - b);
    const span = (times.at(-1) as number) - (times[0] as number);
    // A burst of 10, then 20 more at 10/s: at least 2 s from first to last (it cannot be faster).
    assert.ok(span >= 1900, `30 messages at 10/s took ${span} ms`);
  });

  it("no log line of these runs contains the broker password", () => {
    const outputs = [...AgentProcess.started.flatMap((a) => [a.stdout, a.stderr]), ...cliOutputs];
    const lines = outputs.join("\n").split("\n").filter(Boolean);
    assert.ok(lines.length > 50, `scanned ${lines.length} lines`);
    const hits = lines.filter((line) => line.includes(user.password));
    assert.equal(hits.length, 0, hits.slice(0, 3).join("\n"));
    process.stderr.write(
      `password scan: ${lines.length} log lines from ${AgentProcess.started.length} agent runs, 0 hits\n`,
    );
  });
});
