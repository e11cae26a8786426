import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, describe, it } from "node:test";
import { AgentProcess } from "../helpers/agent-process.js";
import { TestBroker, uniqueName } from "../helpers/broker.js";
import { agentConfig } from "../helpers/config.js";
import { probeIds } from "../helpers/probe.js";
import { waitFor } from "../helpers/wait.js";

const REPLICAS = 3;
const MESSAGES = 3000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

/** `amqp_lambda_agent_messages_acked_total{agent="<name>"}` from one process's /metrics. */
async function acked(port: number, agent: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`amqp_lambda_agent_messages_acked_total{agent="${agent}"}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

describe("scale-out: agent replicas are competing consumers of one queue", () => {
  const exchange = uniqueName("scale-x");
  const queue = uniqueName("scale-q");
  const agents: Array<{ name: string; port: number; process: AgentProcess }> = [];
  let broker: TestBroker | undefined;

  after(async () => {
    await Promise.all(agents.map((agent) => agent.process.stop()));
    await broker?.cleanup([exchange], [queue, `${queue}.dlq`]);
    await broker?.close();
  });

  it(`${REPLICAS} processes share ${MESSAGES} messages: every one invoked, each process a share, none lost`, async () => {
    broker = await TestBroker.connect();
    for (let i = 0; i < REPLICAS; i++) {
      const name = `replica-${i}`;
      const port = await freePort();
      const config = agentConfig({
        name,
        exchange,
        queue,
        topic: "order.#",
        consumer: { workers: 5 },
        options: { http: { enabled: true, address: `127.0.0.1:${port}` } },
      });
      agents.push({ name, port, process: AgentProcess.start(config, { LOG_LEVEL: "info" }) });
    }
    await Promise.all(agents.map((agent) => agent.process.ready()));

    const ids = Array.from({ length: MESSAGES }, (_, id) => id);
    await broker.publish(
      exchange,
      "order.created",
      ids.map((id) => ({ id })),
    );

    await waitFor(
      `the probe to record all ${MESSAGES} ids`,
      () => probeIds(queue).size === MESSAGES,
      180_000,
      250,
    );
    const seen = probeIds(queue);
    assert.deepEqual(
      ids.filter((id) => !seen.has(id)),
      [],
      "every message was invoked",
    );

    const shares = await waitFor(
      `acks to add up to ${MESSAGES}`,
      async () => {
        const counts = await Promise.all(agents.map((agent) => acked(agent.port, agent.name)));
        return counts.reduce((a, b) => a + b, 0) === MESSAGES ? counts : undefined;
      },
      30_000,
      200,
    );
    process.stderr.write(`scale-out shares: ${agents.map((a, i) => `${a.name}=${shares[i]}`).join(", ")}\n`);
    for (const [i, count] of shares.entries()) {
      assert.ok(
        count >= MESSAGES / REPLICAS / 3,
        `${agents[i]?.name} took a fair share (${count} of ${MESSAGES})`,
      );
    }

    const codes = await Promise.all(agents.map((agent) => agent.process.stop()));
    assert.deepEqual(codes, [0, 0, 0], "every replica stopped cleanly");
    assert.equal(await broker.ready(queue), 0, "nothing left in the queue");
    assert.equal(await broker.ready(`${queue}.dlq`), 0, "nothing dead-lettered");
  });
});
