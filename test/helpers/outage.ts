import assert from "node:assert/strict";
import { after, before } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AgentProcess } from "./agent-process.js";
import type { SuiteBroker } from "./broker.js";
import { agentConfig, type TestAgentOptions } from "./config.js";
import { type Fault, LambdaFaultProxy } from "./lambda-fault-proxy.js";
import { LAMBDA_ENDPOINT, probeIds } from "./probe.js";
import { waitFor } from "./wait.js";

const ids = (n: number) => Array.from({ length: n }, (_, id) => ({ id }));

/**
 * Outages of the platform for a suite: a fault-injecting proxy in front of the Invoke API (started
 * before the suite's tests, stopped after them) and one scenario runner.
 */
export function outageScenario(suite: SuiteBroker) {
  const proxy = new LambdaFaultProxy(LAMBDA_ENDPOINT);
  before(() => proxy.start());
  after(() => proxy.stop());

  const outageConfig = (o: TestAgentOptions) =>
    agentConfig({
      ...o,
      consumer: { workers: 10, ...o.consumer },
      amqp: { prefetch_count: 10, durable: true, ...o.amqp },
      lambda: { endpoint: proxy.endpoint, ...o.lambda },
    });

  /**
   * Queues `total` messages, starts the agent with the fault on, keeps it on for `outageMs` (the
   * scenario itself, not a wait for something), then lets calls through and waits until each
   * message was invoked or dead-lettered.
   */
  async function outage(fault: Exclude<Fault, "pass">, total: number, outageMs: number) {
    const { exchange, queue } = suite.names(`outage-${fault}`);
    const config = outageConfig({
      exchange,
      queue,
      options: { http: { enabled: true, address: "127.0.0.1:0" } },
    });
    await suite.broker.declare(exchange, queue, "#", true);
    await suite.broker.publish(exchange, "k", ids(total), { persistent: true });
    proxy.fault = fault;
    const before = proxy.calls[fault];
    const agent = AgentProcess.start(config);
    await agent.ready();
    await agent.waitForLog(/circuit breaker open/, 20_000);
    const ready = await fetch(`${await agent.httpBase()}/readyz`);
    assert.equal(ready.status, 503, "not ready while the breaker is open");
    assert.match(JSON.stringify(await ready.json()), /circuit breaker/);
    await sleep(outageMs);
    const callsDuringOutage = proxy.calls[fault] - before;
    proxy.fault = "pass";
    await waitFor(
      "every message invoked or dead-lettered",
      async () => probeIds(queue).size + (await suite.broker.ready(`${queue}.dlq`)) >= total,
      120_000,
    );
    await waitFor("the breaker closed", () => agent.countLogs(/circuit breaker closed/) > 0, 30_000);
    assert.equal(await agent.stop(), 0);
    const dead = (await suite.broker.drain(`${queue}.dlq`)).map(
      (m) => JSON.parse(m.content.toString()).id as number,
    );
    const invoked = probeIds(queue);
    const lost = ids(total).filter(({ id }) => !invoked.has(id) && !dead.includes(id));
    process.stderr.write(
      `${fault}: ${total} queued, ${invoked.size} invoked after recovery, ${dead.length} dead-lettered, ${lost.length} lost, ${callsDuringOutage} calls during the ${outageMs / 1000}s outage\n`,
    );
    assert.equal(lost.length, 0, "none lost");
    return { dead: dead.length, callsDuringOutage };
  }

  return { proxy, outage, outageConfig };
}
