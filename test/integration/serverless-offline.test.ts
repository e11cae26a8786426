import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
// @ts-expect-error scripts/offline.mjs is plain JavaScript without types
import { startOffline } from "../../scripts/offline.mjs";
import { AMQP_URL, TestBroker, uniqueName } from "../helpers/broker.js";
import { waitFor } from "../helpers/wait.js";

interface Offline {
  output(): string;
  stop(): Promise<void>;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

const ROOT = join(import.meta.dirname, "../..");
const LAMBDA_PORT = 3922;

function records(dir: string, queue: string): Array<Record<string, unknown>> {
  const file = join(dir, `${queue}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("serverless offline start runs the agent against the example functions", () => {
  // The example service's exchange and queues, suffixed so this test has them to itself.
  const suffix = uniqueName("").replace(/^-*/, "-");
  const exchange = `orders${suffix}`;
  const queues = [`orders${suffix}`, `orders-batch${suffix}`, `orders-body${suffix}`];
  const probeDir = mkdtempSync(join(tmpdir(), "amqp-lambda-agent-offline-probe-"));
  let offline: Offline | undefined;
  let broker: TestBroker | undefined;
  let agentPid = 0;

  before(async () => {
    broker = await TestBroker.connect();
    offline = (await startOffline({
      lambdaPort: LAMBDA_PORT,
      cwd: ROOT,
      env: {
        PROBE_DIR: probeDir,
        AMQP_URL,
        AMQP_EXAMPLE_SUFFIX: suffix,
        AMQP_LAMBDA_AGENT_OFFLINE: "true",
        LOG_LEVEL: "info",
      },
    })) as Offline;
    const started = await waitFor(
      "the offline agent to start",
      () => /\[amqp-lambda-agent\] started \(pid (\d+)\)/.exec(offline?.output() ?? ""),
      30_000,
    );
    agentPid = Number(started[1]);
    await waitFor(
      "the agent to consume all three example queues",
      () => queues.every((queue) => offline?.output().includes(`consuming ${queue} `)),
      30_000,
    );
  });

  after(async () => {
    await offline?.stop();
    if (agentPid && alive(agentPid)) process.kill(agentPid, "SIGKILL");
    await broker?.cleanup([exchange], [...queues, ...queues.map((queue) => `${queue}.dlq`)]);
    await broker?.close();
  });

  it("a message published to the example exchange reaches every example function", async () => {
    assert.ok(broker);
    await broker.publish(exchange, "order.created", [{ id: 101 }, { id: 102 }]);
    for (const queue of [`orders${suffix}`, `orders-batch${suffix}`, "orders-body"]) {
      await waitFor(
        `${queue} records for ids 101 and 102 (offline output: ${offline?.output().slice(-1500)})`,
        () => {
          const ids = new Set(records(probeDir, queue).map((r) => r.id));
          return ids.has(101) && ids.has(102);
        },
        30_000,
      );
    }
    const [first] = records(probeDir, `orders${suffix}`);
    assert.equal(first?.routingKey, "order.created");
    await waitFor("the queues to be empty", async () => {
      for (const queue of queues) if ((await broker?.ready(queue)) !== 0) return false;
      return true;
    });
  });

  it("stopping offline stops the agent cleanly and leaves no process behind", async () => {
    assert.ok(offline && agentPid > 0);
    assert.ok(alive(agentPid), "the agent runs while offline runs");
    await offline.stop();
    const output = offline.output();
    assert.equal(output.match(/\[amqp-lambda-agent\] started/g)?.length, 1, "exactly one agent process");
    assert.match(output, /\[amqp-lambda-agent\] stopping \(pid \d+\)/);
    assert.match(output, /\[amqp-lambda-agent\] .*"msg":"stopped"/);
    assert.match(output, /\[amqp-lambda-agent\] exited with code 0/);
    await waitFor(`agent process ${agentPid} to be gone`, () => !alive(agentPid), 5_000);
    assert.deepEqual(await offline.exited, { code: 0, signal: null });
  });
});
