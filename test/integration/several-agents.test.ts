import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AgentProcess, writeConfig } from "../helpers/agent-process.js";
import { SuiteBroker } from "../helpers/broker.js";
import { agentConfig } from "../helpers/config.js";
import { metric } from "../helpers/metrics.js";
import { probeIds } from "../helpers/probe.js";
import { waitFor } from "../helpers/wait.js";

describe("several agents on one host, liveness", () => {
  const suite = new SuiteBroker();

  it("three run processes from one config with --http-address / AMQP_LAMBDA_AGENT_HTTP_ADDRESS all consume", async () => {
    const { exchange, queue } = suite.names("three");
    const file = writeConfig(
      agentConfig({
        exchange,
        queue,
        consumer: { workers: 2 },
        options: { http: { enabled: true, address: "127.0.0.1:9464" } },
      }),
    );
    const agents = [
      new AgentProcess(file, {}, ["--http-address", "127.0.0.1:0"]),
      new AgentProcess(file, {}, ["--http-address", "127.0.0.1:0"]),
      new AgentProcess(file, { AMQP_LAMBDA_AGENT_HTTP_ADDRESS: "127.0.0.1:0" }),
    ];
    const ports = await Promise.all(
      agents.map(async (agent) => Number(new URL(await agent.httpBase()).port)),
    );
    assert.equal(new Set(ports).size, 3, `three ports: ${ports.join(", ")}`);
    for (const agent of agents) await agent.ready();
    await suite.broker.publish(
      exchange,
      "k",
      Array.from({ length: 300 }, (_, id) => ({ id, sleepMs: 10 })),
    );
    await waitFor("all 300 invoked", () => probeIds(queue).size === 300, 60_000);
    const shares = await Promise.all(
      ports.map(async (port) =>
        metric(
          await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
          "amqp_lambda_agent_messages_received_total",
        ),
      ),
    );
    for (const agent of agents) assert.equal(await agent.stop(), 0);
    process.stderr.write(`three agents on one host: shares ${shares.join("/")}\n`);
    assert.ok(
      shares.every((share) => share > 0),
      `each agent consumed: ${shares.join("/")}`,
    );
    assert.equal(
      shares.reduce((a, b) => a + b, 0),
      300,
    );
  });

  it("a taken address: exit 1, naming --http-address and AMQP_LAMBDA_AGENT_HTTP_ADDRESS", async () => {
    const { exchange, queue } = suite.names("busy");
    const file = writeConfig(
      agentConfig({ exchange, queue, options: { http: { enabled: true, address: "127.0.0.1:0" } } }),
    );
    const first = new AgentProcess(file);
    const port = new URL(await first.httpBase()).port;
    const second = new AgentProcess(file, {}, ["--http-address", `127.0.0.1:${port}`]);
    assert.equal(await second.exited, 1);
    assert.match(
      second.stderr,
      /address is in use.*--http-address HOST:PORT.*AMQP_LAMBDA_AGENT_HTTP_ADDRESS.*port 0/,
    );
    assert.equal(await first.stop(), 0);
  });

  it("/healthz turns 503 after unhealthy_after without a broker, and stays 200 while the circuit breaker is open", async () => {
    const { exchange, queue } = suite.names("liveness");
    const unreachable = AgentProcess.start(
      agentConfig({
        exchange,
        queue,
        amqp: { host: "amqp://guest:guest@127.0.0.1:5999/" },
        connection: { max_retries: 0, backoff_strategy: "fallback" },
        options: { http: { enabled: true, address: "127.0.0.1:0", unhealthy_after: "2s" } },
      }),
    );
    const port = new URL(await unreachable.httpBase()).port;
    assert.equal(
      (await fetch(`http://127.0.0.1:${port}/healthz`)).status,
      200,
      "not yet: within unhealthy_after",
    );
    const unhealthy = await waitFor(
      "503",
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        return response.status === 503
          ? ((await response.json()) as { agents: Array<{ reason: string }> })
          : undefined;
      },
      10_000,
    );
    assert.match(unhealthy.agents[0]?.reason ?? "", /unable to connect or consume for \d+s/);
    assert.equal(await unreachable.stop(), 0);

    const outage = AgentProcess.start(
      agentConfig({
        exchange,
        queue,
        lambda: { function_name: "no-such-function" },
        options: { http: { enabled: true, address: "127.0.0.1:0", unhealthy_after: "1s" } },
      }),
    );
    const outagePort = new URL(await outage.httpBase()).port;
    await outage.ready();
    await suite.broker.publish(
      exchange,
      "k",
      Array.from({ length: 6 }, (_, id) => ({ id })),
    );
    await outage.waitForLog(/circuit breaker open/);
    await waitFor("more than unhealthy_after", async () => {
      const ready = await fetch(`http://127.0.0.1:${outagePort}/readyz`);
      return ready.status === 503;
    });
    // Longer than unhealthy_after (1 s) with the breaker open: the scenario's duration, not a wait for an event.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(
      (await fetch(`http://127.0.0.1:${outagePort}/healthz`)).status,
      200,
      "an open breaker is not a reason to restart",
    );
    const text = await (await fetch(`http://127.0.0.1:${outagePort}/metrics`)).text();
    assert.match(text, /amqp_lambda_agent_circuit_state\{[^}]*state="(open|half_open)"[^}]*\} 1/);
    assert.ok(metric(text, "amqp_lambda_agent_circuit_openings_total") >= 1);
    assert.equal(await outage.stop(), 0);
  });
});
