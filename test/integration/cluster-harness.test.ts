// The local 3-node cluster of test/helpers/cluster.ts works: it forms, a quorum queue survives the
// loss of its leader's node, the node comes back, and teardown leaves nothing behind while the
// shared broker on 5672 is not involved.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import amqplib, { type ChannelModel } from "amqplib";
import { AMQP_URL, uniqueName } from "../helpers/broker.js";
import { type ClusterNode, type LocalCluster, nodeProcesses, startCluster } from "../helpers/cluster.js";
import { waitFor } from "../helpers/wait.js";

const run = promisify(execFile);
const MESSAGES = 100;

/** Pid of the process listening on the main broker's port (undefined if not visible, e.g. not root). */
async function mainBrokerPid(): Promise<number | undefined> {
  const port = new URL(AMQP_URL).port || "5672";
  const { stdout } = await run("ss", ["-Hltnp", `sport = :${port}`]).catch(() => ({ stdout: "" }));
  const pid = /pid=(\d+)/.exec(stdout)?.[1];
  return pid ? Number(pid) : undefined;
}

/** The main broker serves AMQP (waiting out another test's stop_app/start_app of it); its cluster name. */
async function mainBrokerClusterName(): Promise<string> {
  return waitFor(
    "the main broker to accept an AMQP connection",
    async () => {
      const connection = await amqplib.connect(AMQP_URL);
      const name = String(connection.connection.serverProperties?.cluster_name ?? "?");
      await connection.close();
      return name;
    },
    60_000,
    500,
  );
}

async function connect(node: ClusterNode): Promise<ChannelModel> {
  const connection = await amqplib.connect(node.url);
  connection.on("error", () => undefined);
  return connection;
}

describe("local RabbitMQ cluster for failover tests", () => {
  let cluster: LocalCluster | undefined;
  const connections: ChannelModel[] = [];

  after(async () => {
    for (const connection of connections) await connection.close().catch(() => undefined);
    await cluster?.teardown();
  });

  it("3 nodes form a cluster; a quorum queue keeps its messages when its leader's node dies; teardown leaves nothing", {
    timeout: 240_000,
  }, async (t) => {
    const mainPid = await mainBrokerPid();
    const mainName = await mainBrokerClusterName();

    let started = Date.now();
    cluster = await startCluster();
    t.diagnostic(`3-node cluster started in ${Date.now() - started} ms`);
    const names = cluster.nodes.map((node) => node.name).sort();
    assert.equal(names.length, 3);
    const [n1, n2, n3] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];

    // every node sees exactly the three (so not the main broker), all running, and lets guest in
    for (const node of cluster.nodes) {
      const status = JSON.parse(await cluster.ctl(node, "cluster_status", "--formatter", "json")) as {
        disk_nodes: string[];
        running_nodes: string[];
      };
      assert.deepEqual([...status.running_nodes].sort(), names, `running nodes seen by ${node.name}`);
      assert.deepEqual([...status.disk_nodes].sort(), names, `members seen by ${node.name}`);
      const connection = await connect(node);
      assert.notEqual(connection.connection.serverProperties?.cluster_name, mainName);
      await connection.close();
    }

    // a quorum queue declared through node 1, 100 persistent messages published through node 3
    const queue = uniqueName("cluster-qq");
    const c1 = await connect(n1);
    connections.push(c1);
    await (await c1.createChannel()).assertQueue(queue, {
      durable: true,
      arguments: { "x-queue-type": "quorum" },
    });
    const c3 = await connect(n3);
    connections.push(c3);
    const publisher = await c3.createConfirmChannel();
    for (let i = 0; i < MESSAGES; i++)
      publisher.sendToQueue(queue, Buffer.from(String(i)), { persistent: true });
    await publisher.waitForConfirms();
    await c1.close();
    await c3.close();

    const status = await cluster.quorumStatus(queue);
    assert.ok(status?.leader, "the queue has a leader");
    assert.deepEqual(status.members.map((node) => node.name).sort(), names, "a member on every node");
    const oldLeader = status.leader;
    t.diagnostic(`leader: ${oldLeader.name}`);

    // the leader's node dies
    started = Date.now();
    await cluster.stopNode(oldLeader);
    t.diagnostic(`${oldLeader.name} killed in ${Date.now() - started} ms`);
    assert.ok(!cluster.running().includes(oldLeader));
    await assert.rejects(amqplib.connect(oldLeader.url), "the dead node refuses AMQP");

    const newLeader = await waitFor("a new leader on a surviving node", async () => {
      const leader = await cluster?.quorumLeader(queue);
      return leader && leader.name !== oldLeader.name ? leader : undefined;
    });
    t.diagnostic(`new leader: ${newLeader.name} after ${Date.now() - started} ms`);

    // all 100 messages are still there, read through a survivor that does not lead the queue
    const reader = cluster.running().find((node) => node !== newLeader) ?? newLeader;
    const cr = await connect(reader);
    connections.push(cr);
    const channel = await cr.createChannel();
    assert.equal((await channel.checkQueue(queue)).messageCount, MESSAGES);
    const bodies = new Set<string>();
    for (let i = 0; i < MESSAGES; i++) {
      const message = await channel.get(queue, { noAck: false });
      assert.ok(message, `message ${i} can be read through ${reader.name}`);
      bodies.add(message.content.toString());
    }
    channel.ackAll();
    assert.equal(bodies.size, MESSAGES, "100 distinct messages");
    assert.equal(await channel.get(queue), false, "no more than 100");
    await cr.close();

    // the dead node comes back: serves AMQP and is a running member of the queue again
    started = Date.now();
    await cluster.startNode(oldLeader);
    t.diagnostic(`${oldLeader.name} restarted in ${Date.now() - started} ms`);
    const back = await waitFor("the restarted node back online in the queue", async () => {
      const current = await cluster?.quorumStatus(queue);
      return current && current.online.length === 3 ? current : undefined;
    });
    assert.ok(back.leader);
    const cb = await connect(oldLeader);
    connections.push(cb);
    assert.equal(
      (await (await cb.createChannel()).checkQueue(queue)).messageCount,
      0,
      "acks replicated to it",
    );
    await cb.close();
    assert.ok([n1, n2, n3].every((node) => cluster?.running().includes(node)));

    // teardown: no process, epmd registration or directory of the nodes left
    started = Date.now();
    await cluster.teardown();
    t.diagnostic(`torn down in ${Date.now() - started} ms`);
    assert.deepEqual(nodeProcesses(names), []);
    assert.equal(existsSync(cluster.dir), false, `${cluster.dir} removed`);
    const { stdout: epmd } = await run("epmd", ["-names"]);
    for (const node of cluster.nodes) {
      assert.ok(!epmd.includes(`name ${node.name.split("@")[0]} `), `${node.name} not registered in epmd`);
      await assert.rejects(amqplib.connect(node.url), `nothing listens on ${node.port}`);
    }

    // the main broker is up, the same process as before, and still its own cluster
    assert.equal(await mainBrokerClusterName(), mainName);
    if (mainPid !== undefined)
      assert.equal(await mainBrokerPid(), mainPid, "the main broker was not restarted");
  });
});
