// large_payload end to end: the agent (the CLI) with a local S3-compatible server, RabbitMQ, and the
// large-payload function served by serverless-offline, which resolves pointers with the middleware
// (rabbitMQParser({ largePayload: { client } })) and records each body's sha256.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AgentProcess } from "../helpers/agent-process.js";
import { SuiteBroker } from "../helpers/broker.js";
import { agentConfig } from "../helpers/config.js";
import { PROBE_DIR } from "../helpers/probe.js";
import { S3Server } from "../helpers/s3-server.js";
import { waitFor } from "../helpers/wait.js";

const S3_ENDPOINT = process.env.LARGE_PAYLOAD_S3_ENDPOINT ?? "http://127.0.0.1:3905";
const FUNCTION = "amqp-lambda-agent-example-dev-large-payload";
const BUCKET = "bodies";
const MiB = 1024 * 1024;

interface Handled {
  id: string;
  sha256: string;
  bytes: number;
  extendedPayloadSize: number | null;
}

/** What the large-payload function recorded for a queue, by message id (the last record of each). */
function handled(queue: string): Map<string, Handled> {
  const file = join(PROBE_DIR, `${queue}.jsonl`);
  if (!existsSync(file)) return new Map();
  const records = readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Handled);
  return new Map(records.map((r) => [r.id, r]));
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Peak resident set of a process so far (Linux VmHWM), in MB. */
function peakRssMb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]) / 1024;
}

describe("large_payload: bodies too large for Lambda go through S3 (extended-client pointers)", () => {
  const suite = new SuiteBroker();
  const s3 = new S3Server(Number(new URL(S3_ENDPOINT).port));
  before(() => s3.start());
  after(() => s3.stop());

  const config = (queue: string, exchange: string, extra: Record<string, unknown> = {}) =>
    agentConfig({
      exchange,
      queue,
      consumer: { workers: 20, timeout: "30s" },
      amqp: { prefetch_count: 40 },
      lambda: {
        function_name: FUNCTION,
        max_retries: 1,
        large_payload: { bucket: BUCKET, key_prefix: `${queue}/`, endpoint: S3_ENDPOINT, ...extra },
      },
    });

  async function publishAll(exchange: string, bodies: Array<{ id: string; body: Buffer; headers?: object }>) {
    for (const { id, body, headers } of bodies) {
      await suite.broker.publish(exchange, "k", [body], {
        messageId: id,
        contentType: "application/octet-stream",
        ...(headers ? { headers } : {}),
      });
    }
  }

  it("20 × 8 MiB and 200 × 1 KiB: every body reaches the function intact; only the large ones touch S3; 0 objects left", async () => {
    const { exchange, queue } = suite.names("lp-mixed");
    const large = Array.from({ length: 20 }, (_, i) => ({ id: `large-${i}`, body: randomBytes(8 * MiB) }));
    const small = Array.from({ length: 200 }, (_, i) => ({ id: `small-${i}`, body: randomBytes(1024) }));
    const sent = new Map([...large, ...small].map(({ id, body }) => [id, sha256(body)]));
    const putsBefore = s3.count("PUT");
    // All in the queue first: the agent takes 40 at once (prefetch), the 20 large ones in flight together.
    await suite.broker.declare(exchange, queue, "#");
    await publishAll(exchange, [...large, ...small]);
    const agent = AgentProcess.start(config(queue, exchange));
    await agent.ready();
    const seen = await waitFor(
      "220 messages handled",
      () => {
        const found = handled(queue);
        return found.size === 220 ? found : undefined;
      },
      120_000,
      200,
    );
    const rssMb = peakRssMb(agent.pid);
    const mismatched = [...sent].filter(([id, hash]) => seen.get(id)?.sha256 !== hash).map(([id]) => id);
    assert.deepEqual(mismatched, [], "every body's sha256 is the publisher's");
    for (const { id } of large) assert.equal(seen.get(id)?.extendedPayloadSize, 8 * MiB, id);
    for (const { id } of small) assert.equal(seen.get(id)?.extendedPayloadSize, null, id);
    const puts = s3.requests.slice(0).filter((r) => r.method === "PUT" && r.key.startsWith(`${queue}/`));
    assert.equal(s3.count("PUT") - putsBefore, 20, "one upload per large message, none for a small one");
    assert.ok(puts.every((r) => r.headers["content-length"] === String(8 * MiB)));
    await waitFor("every object deleted", () => s3.keys(BUCKET, `${queue}/`).length === 0, 20_000);
    assert.equal(await agent.stop(), 0);
    assert.equal(await suite.broker.ready(`${queue}.dlq`), 0);
    assert.deepEqual(s3.keys(BUCKET, `${queue}/`), [], "0 objects left after the run");
    process.stderr.write(
      `large_payload: 20 × 8 MiB + 200 × 1 KiB sent, ${seen.size} handled, ${puts.length} uploads, 0 left; agent peak RSS ${rssMb.toFixed(0)} MB\n`,
    );
    assert.ok(rssMb <= 450, `the agent's peak RSS ${rssMb.toFixed(0)} MB is over 450 MB`);
  });

  it("the S3 server down for 10 s: nothing dead-lettered, the breaker opens, everything handled after", async () => {
    const { exchange, queue } = suite.names("lp-outage");
    const agent = AgentProcess.start(config(queue, exchange, { threshold: "10KB" }));
    await agent.ready();
    const bodies = Array.from({ length: 12 }, (_, i) => ({ id: `m-${i}`, body: randomBytes(100_000) }));
    await s3.stop();
    const downAt = Date.now();
    try {
      await publishAll(exchange, bodies);
      await agent.waitForLog(/circuit breaker open: .*S3\./, 10_000);
      assert.equal(handled(queue).size, 0, "nothing reached the function without its body");
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10_000 - (Date.now() - downAt))));
    } finally {
      await s3.start();
    }
    const seen = await waitFor(
      "12 messages handled",
      () => (handled(queue).size === 12 ? handled(queue) : undefined),
      60_000,
      200,
    );
    for (const { id, body } of bodies) assert.equal(seen.get(id)?.sha256, sha256(body), id);
    await waitFor("every object deleted", () => s3.keys(BUCKET, `${queue}/`).length === 0, 20_000);
    assert.equal(await agent.stop(), 0);
    assert.equal(await suite.broker.ready(`${queue}.dlq`), 0, "0 dead-lettered");
    assert.equal(await suite.broker.ready(queue), 0);
    assert.ok(agent.countLogs(/circuit breaker closed/) >= 1, "the breaker closed again");
  });

  it("a large message that fails goes to the dead-letter queue with its original body; its object is gone", async () => {
    const { exchange, queue } = suite.names("lp-dead");
    const agent = AgentProcess.start(config(queue, exchange, { threshold: "1MiB" }));
    await agent.ready();
    const body = randomBytes(7 * MiB);
    await publishAll(exchange, [{ id: "doomed", body, headers: { fail: "yes" } }]);
    await waitFor("the dead letter", async () => (await suite.broker.ready(`${queue}.dlq`)) === 1, 60_000);
    await waitFor("its object deleted", () => s3.keys(BUCKET, `${queue}/`).length === 0, 20_000);
    assert.equal(await agent.stop(), 0);
    const [dead] = await suite.broker.drain(`${queue}.dlq`);
    assert.equal(dead?.content.byteLength, body.byteLength);
    assert.equal(
      sha256(dead?.content ?? Buffer.alloc(0)),
      sha256(body),
      "the original body, never the pointer",
    );
    assert.equal(
      dead?.properties.headers?.ExtendedPayloadSize,
      undefined,
      "no claim-check header on the copy",
    );
    assert.equal(s3.count("PUT") > 0, true);
    assert.deepEqual(s3.keys(BUCKET, `${queue}/`), []);
  });

  it("a publisher's own extended-client pointer passes through and reaches the handler resolved", async () => {
    const { exchange, queue } = suite.names("lp-theirs");
    const object = randomBytes(2 * MiB);
    s3.objects.set(`theirs/${queue}/payload`, object);
    const agent = AgentProcess.start(config(queue, exchange, { always: true }));
    await agent.ready();
    const putsBefore = s3.count("PUT");
    const pointer = (className: string) =>
      Buffer.from(JSON.stringify([className, { s3BucketName: "theirs", s3Key: `${queue}/payload` }]));
    await publishAll(exchange, [
      { id: "current", body: pointer("software.amazon.payloadoffloading.PayloadS3Pointer") },
      { id: "legacy", body: pointer("com.amazon.sqs.javamessaging.MessageS3Pointer") },
    ]);
    const seen = await waitFor(
      "both handled",
      () => (handled(queue).size === 2 ? handled(queue) : undefined),
      30_000,
    );
    assert.equal(await agent.stop(), 0);
    assert.equal(seen.get("current")?.sha256, sha256(object));
    assert.equal(seen.get("legacy")?.sha256, sha256(object));
    assert.equal(s3.count("PUT"), putsBefore, "not uploaded again");
    assert.ok(s3.objects.has(`theirs/${queue}/payload`), "not deleted: the agent did not upload it");
  });
});
