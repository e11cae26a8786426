import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import amqplib from "amqplib";
import { AgentProcess } from "../helpers/agent-process.js";
import { uniqueName } from "../helpers/broker.js";
import { type ClusterNode, type LocalCluster, startCluster } from "../helpers/cluster.js";
import { agentConfig } from "../helpers/config.js";
import { probeIds, probeRecords } from "../helpers/probe.js";
import { waitFor } from "../helpers/wait.js";

const TOTAL = 1500;
const PREFETCH = 20;

/** Publishes `TOTAL` persistent messages through `node` over about 10 s (confirmed in batches of 15). */
async function publishSlowly(
  node: ClusterNode,
  exchange: string,
  onProgress: (sent: number) => void,
): Promise<void> {
  const connection = await amqplib.connect(node.url);
  connection.on("error", () => undefined);
  const channel = await connection.createConfirmChannel();
  try {
    for (let sent = 0; sent < TOTAL; sent += 15) {
      for (let id = sent; id < Math.min(TOTAL, sent + 15); id++) {
        channel.publish(exchange, "k", Buffer.from(JSON.stringify({ id, sleepMs: 2 })), {
          persistent: true,
          contentType: "application/json",
        });
      }
      await channel.waitForConfirms();
      onProgress(Math.min(TOTAL, sent + 15));
      await sleep(100);
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** The longest gap between two invocations at or after `from` (epoch ms). */
function longestPauseMs(queue: string, from: number): number {
  const times = probeRecords(queue)
    .map((r) => r.at)
    .filter((at) => at >= from - 1000)
    .sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i < times.length; i++)
    longest = Math.max(longest, (times[i] as number) - (times[i - 1] as number));
  return longest;
}

describe("a RabbitMQ cluster: a host list, failover when a node dies, quorum queues", () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await startCluster({ size: 3 });
  });
  after(async () => {
    await cluster?.teardown();
  });

  async function failover(victim: "connected" | "leader"): Promise<void> {
    const [n1, n2, n3] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
    const exchange = uniqueName(`failover-${victim}-x`);
    const queue = uniqueName(`failover-${victim}-q`);
    // The queue is declared through n2 (its leader starts there), the agent is given n1 and n2, the
    // publisher uses n3: stopping the agent's node and stopping the leader's are two different faults.
    const setup = await amqplib.connect(n2.url);
    const channel = await setup.createChannel();
    await channel.assertExchange(exchange, "topic", { durable: true });
    await channel.assertQueue(queue, { durable: true, arguments: { "x-queue-type": "quorum" } });
    await channel.bindQueue(queue, exchange, "#");
    await setup.close();
    const agent = AgentProcess.start(
      agentConfig({
        exchange,
        queue,
        consumer: { workers: 10 },
        amqp: {
          host: [n1.url, n2.url],
          durable: true,
          prefetch_count: PREFETCH,
          queue_arguments: { "x-queue-type": "quorum" },
        },
        connection: { health_interval: "1s" },
        options: { http: { enabled: true, address: "127.0.0.1:0" } },
      }),
    );
    await agent.ready();
    const base = await agent.httpBase();
    const readyz = async () =>
      (await (await fetch(`${base}/readyz`)).json()) as { agents: Array<{ node: string }> };
    const connected = (await readyz()).agents[0]?.node;
    assert.equal(connected, `127.0.0.1:${n1.port}`, "connected to the first node that answers");
    let sent = 0;
    const publishing = publishSlowly(n3, exchange, (count) => {
      sent = count;
    });
    await waitFor("a third published", () => sent >= TOTAL / 3, 30_000);
    const leader = await cluster.quorumLeader(queue);
    const target = victim === "connected" ? n1 : leader;
    assert.ok(target && target !== n3, `the node to stop (leader ${leader?.name})`);
    const stoppedAt = Date.now();
    await cluster.stopNode(target);
    await publishing;
    await waitFor(`all ${TOTAL} invoked`, () => probeIds(queue).size === TOTAL, 120_000);
    const node = (await readyz()).agents[0]?.node;
    const pauseMs = longestPauseMs(queue, stoppedAt);
    const duplicates = probeRecords(queue).length - TOTAL;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    process.stderr.write(
      `failover (${victim} node ${target.name} stopped): ${TOTAL} published, ${probeIds(queue).size} invoked, ${duplicates} duplicates, longest pause ${pauseMs} ms, now on ${node}\n`,
    );
    assert.equal(await agent.stop(), 0, "the agent stayed up and drains cleanly");
    assert.ok(duplicates <= PREFETCH, `${duplicates} duplicates (at most the unacked window, ${PREFETCH})`);
    assert.ok(pauseMs < 20_000, `longest pause ${pauseMs} ms`);
    if (victim === "connected") {
      assert.equal(node, `127.0.0.1:${n2.port}`, "/readyz names the node it moved to");
      assert.match(metrics, /amqp_lambda_agent_failovers_total\{[^}]*\} 1/);
      assert.equal(agent.countLogs(/consuming .* on 127\.0\.0\.1:\d+ \(node 2 of the list\)/), 1);
    }
    await cluster.startNode(target);
  }

  it("the node the agent is connected to dies mid-run: it moves to the next node, every message invoked", async () => {
    await failover("connected");
  });

  it("the node holding the quorum queue's leader dies mid-run: every message invoked", async () => {
    await failover("leader");
  });
});
