import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AgentProcess } from "../helpers/agent-process.js";
import { closeConnections, TestBroker, uniqueName } from "../helpers/broker.js";
import { agentConfig } from "../helpers/config.js";
import { metric } from "../helpers/metrics.js";
import { probeIds } from "../helpers/probe.js";
import { waitFor } from "../helpers/wait.js";

describe("operations: health, readiness, metrics and logs", () => {
  let broker: TestBroker;
  const exchange = uniqueName("ops-x");
  const queue = uniqueName("ops-q");
  const name = uniqueName("ops-agent");
  let base: string;
  let agent: AgentProcess;

  before(async () => {
    broker = await TestBroker.connect();
    agent = AgentProcess.start(
      agentConfig({
        name,
        exchange,
        queue,
        connection: { health_interval: "1s" },
        lambda: { max_retries: 0 },
        options: { http: { enabled: true, address: "127.0.0.1:0" }, summary_interval: "1s" },
      }),
    );
    await agent.ready();
    base = await agent.httpBase();
  });
  after(async () => {
    await agent.stop();
    await broker.cleanup([exchange], [queue, `${queue}.dlq`]);
    await broker.close();
  });

  it("/healthz answers 200 and /readyz 200 while consuming", async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), {
      status: "ready",
      agents: [
        {
          name,
          state: "ready",
          ready: true,
          node: "127.0.0.1:5672",
          consumer: "consuming",
          circuit: "closed",
          held: 0,
          phases: { waiting: 0, running: 0, settling: 0 },
          hold: "none",
          publisher: "ready",
        },
      ],
    });
  });

  it("/readyz turns 503 within health_interval when the broker closes the connection, and 200 after reconnect", async () => {
    assert.equal(await closeConnections(`amqp-lambda-agent:${name}:`), 1);
    const closedAt = Date.now();
    const notReady = await waitFor(
      "503",
      async () => {
        const response = await fetch(`${base}/readyz`);
        return response.status === 503
          ? ((await response.json()) as { agents: Array<{ reason: string }> })
          : undefined;
      },
      1000,
      20,
    );
    assert.ok(Date.now() - closedAt <= 1000);
    assert.match(notReady.agents[0]?.reason ?? "", /reconnecting/);
    await waitFor("200 again", async () => (await fetch(`${base}/readyz`)).status === 200, 15_000);
  });

  it("/metrics counts what the test sent, acked and dead-lettered", async () => {
    const before = await (await fetch(`${base}/metrics`)).text();
    const bodies = Array.from({ length: 50 }, (_, id) => (id % 10 === 0 ? { id, fail: "always" } : { id }));
    await broker.publish(exchange, "k", bodies);
    await waitFor("5 dead letters", async () => (await broker.ready(`${queue}.dlq`)) === 5, 20_000);
    await waitFor("45 invocations", () => probeIds(queue).size === 50);
    const text = await waitFor("counters settled", async () => {
      const t = await (await fetch(`${base}/metrics`)).text();
      return metric(t, "amqp_lambda_agent_messages_acked_total", { agent: name }) >= 50 ? t : undefined;
    });
    const delta = (metricName: string, labels: Record<string, string> = {}) =>
      metric(text, metricName, { agent: name, ...labels }) -
      metric(before, metricName, { agent: name, ...labels });
    assert.equal(delta("amqp_lambda_agent_messages_received_total"), 50);
    assert.equal(
      delta("amqp_lambda_agent_messages_acked_total"),
      50,
      "45 after success, 5 after the dead-letter publish was confirmed",
    );
    assert.equal(delta("amqp_lambda_agent_messages_dead_lettered_total"), 5);
    assert.equal(delta("amqp_lambda_agent_messages_failed_total"), 5);
    assert.equal(delta("amqp_lambda_agent_invocations_total", { outcome: "ok" }), 45);
    assert.equal(delta("amqp_lambda_agent_invocations_total", { outcome: "function_error" }), 5);
    assert.equal(delta("amqp_lambda_agent_messages_requeued_total"), 0);
    assert.ok(metric(text, "amqp_lambda_agent_reconnects_total", { agent: name }) >= 1);
    assert.equal(metric(text, "amqp_lambda_agent_consumer_state", { agent: name, state: "ready" }), 1);
    assert.match(text, /amqp_lambda_agent_invocation_duration_seconds_bucket\{le="0.005",agent="/);
    assert.ok(
      metric(text, "amqp_lambda_agent_last_success_timestamp_seconds", { agent: name }) >
        Date.now() / 1000 - 60,
    );
  });

  it("logs JSON lines naming the agent with KrakenD's prefix, and a periodic summary line", async () => {
    const summary = await agent.waitForLog(
      /ready: [\d.]+ msg\/s, \d+ in flight, \d+ held, \d+ failed .*backlog \d/,
      5000,
    );
    assert.equal(summary.agent, name);
    assert.match(
      String(summary.msg),
      new RegExp(
        `^\\[ASYNC: ${name}\\]\\[AMQP\\] ready: [\\d.]+ msg/s, \\d+ in flight, \\d+ held, \\d+ failed \\(\\d+ dead-lettered, \\d+ to retry queues\\), backlog \\d+; held \\d+ waiting, \\d+ running, \\d+ settling`,
      ),
    );
    for (const key of ["ratePerSecond", "inFlight", "held", "phases", "hold", "failed", "backlog", "circuit"])
      assert.ok(key in summary, `summary has ${key}`);
    assert.ok(
      agent.lines.every((line) => typeof line.level === "number" && typeof line.time === "string"),
      "every line is JSON",
    );
    const perMessage = agent.lines.filter(
      (l) => (l.level as number) >= 30 && /invok|acked/.test(String(l.msg)) && !/failed/.test(String(l.msg)),
    );
    assert.equal(perMessage.length, 0, "no per-message line at info level");
  });
});
