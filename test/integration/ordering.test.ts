import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AgentProcess } from "../helpers/agent-process.js";
import { SuiteBroker } from "../helpers/broker.js";
import { agentConfig } from "../helpers/config.js";
import { probeIds, probeRecords } from "../helpers/probe.js";
import { waitFor } from "../helpers/wait.js";

const KEYS = 20;
const PER_KEY = 50;

/** 20 keys × 50 messages, interleaved; ids encode key and position (key × 1000 + seq). */
function interleaved(
  failEvery: number,
): Array<{ id: number; customer: string; sleepMs: number; fail?: string }> {
  const messages = [];
  for (let seq = 0; seq < PER_KEY; seq++) {
    for (let key = 0; key < KEYS; key++) {
      const id = key * 1000 + seq;
      messages.push({
        id,
        customer: `c${key}`,
        sleepMs: 10 + ((id * 7919) % 20),
        ...(id % failEvery === 3 ? { fail: "once" } : {}),
      });
    }
  }
  return messages;
}

/** For every key: the invocations in the order the function saw them never go back in the key's sequence. */
function assertPerKeyOrder(queue: string): { invocations: number } {
  const records = probeRecords(queue);
  const lastSeq = new Map<number, number>();
  for (const record of records) {
    const key = Math.floor(record.id / 1000);
    const seq = record.id % 1000;
    const before = lastSeq.get(key) ?? -1;
    assert.ok(seq >= before, `key ${key}: message ${seq} invoked after message ${before}`);
    lastSeq.set(key, seq);
  }
  return { invocations: records.length };
}

describe("ordered processing per key (consumer.order_key)", () => {
  const suite = new SuiteBroker();

  async function run(workers: number): Promise<{ ms: number; invocations: number; failOnce: number }> {
    const { exchange, queue } = suite.names(`order-w${workers}`);
    const messages = interleaved(20);
    // Everything is queued first, so the two runs time the same work: the agent's, not the publisher's.
    await suite.broker.declare(exchange, queue, "#");
    for (const message of messages) {
      await suite.broker.publish(exchange, "k", [message], { headers: { customer: message.customer } });
    }
    const started = Date.now();
    const agent = AgentProcess.start(
      agentConfig({
        exchange,
        queue,
        consumer: { workers, order_key: "header:customer" },
        amqp: { prefetch_count: 100 },
        lambda: { max_retries: 2 },
      }),
    );
    await agent.ready();
    await waitFor("every message invoked", () => probeIds(queue).size === messages.length, 180_000);
    await waitFor("the queue settled", async () => (await suite.broker.ready(queue)) === 0);
    const ms = Date.now() - started;
    assert.equal(await agent.stop(), 0);
    const failOnce = messages.filter((m) => m.fail).length;
    const { invocations } = assertPerKeyOrder(queue);
    assert.equal(invocations, messages.length + failOnce, "each message once, plus one retry per fail-once");
    assert.equal(await suite.broker.ready(`${queue}.dlq`), 0, "nothing dead-lettered");
    return { ms, invocations, failOnce };
  }

  it("20 keys × 50 messages, ~5% failing once: per-key order kept, and 10 workers take at most a third of 1 worker's time", async () => {
    const one = await run(1);
    const ten = await run(10);
    process.stderr.write(
      `order_key: ${KEYS * PER_KEY} messages (${one.failOnce} failing once), workers 1: ${one.ms} ms, workers 10: ${ten.ms} ms (${(ten.ms / one.ms).toFixed(2)}×)\n`,
    );
    assert.ok(ten.ms * 3 <= one.ms, `workers 10 took ${ten.ms} ms, workers 1 ${one.ms} ms`);
  });

  it("a key whose message fails in a batch: the later messages of that key in the batch go again after it, uncharged", async () => {
    const { exchange, queue } = suite.names("order-batch");
    const agent = AgentProcess.start(
      agentConfig({
        exchange,
        queue,
        consumer: { workers: 2, order_key: "body:customer" },
        lambda: { batch_size: 10, batch_window: "300ms", max_retries: 1 },
      }),
    );
    await agent.ready();
    // Key a: message 2 fails once (partial batch failure); 3 and 4 come after it in the same batch.
    await suite.broker.publish(exchange, "k", [
      { id: 1, customer: "a" },
      { id: 2, customer: "a", fail: "items" },
      { id: 3, customer: "a" },
      { id: 4, customer: "a" },
      { id: 1001, customer: "b" },
    ]);
    await waitFor(
      "the dead letter of the failing message",
      async () => (await suite.broker.ready(`${queue}.dlq`)) === 1,
    );
    const keyA = () =>
      probeRecords(queue)
        .filter((r) => r.id < 1000)
        .map((r) => r.id);
    await waitFor(
      "messages 3 and 4 after the failing one",
      () => keyA().lastIndexOf(4) > keyA().lastIndexOf(2),
    );
    assert.equal(await agent.stop(), 0);
    const order = keyA();
    // 1, 2 (reported failed), 3, 4 (did not count); then 2 again with 3 and 4 behind it in its batch,
    // until 2 is dead-lettered; then 3 and 4, last.
    assert.deepEqual(order.slice(-2), [3, 4], `invocations of key a: ${order.join(",")}`);
    assert.ok(order.lastIndexOf(3) > order.lastIndexOf(2), `invocations of key a: ${order.join(",")}`);
    assert.equal(
      order.filter((id) => id === 1).length,
      1,
      "message 1 succeeded in the first batch and counted",
    );
    const dead = await suite.broker.drain(`${queue}.dlq`);
    assert.equal(
      dead[0]?.properties.headers?.["x-agent-attempts"],
      2,
      "only the failing message was charged",
    );
  });

  it("two agents on a single-active-consumer queue keep per-key order while the active one is killed", async () => {
    const { exchange, queue } = suite.names("order-sac");
    const config = agentConfig({
      exchange,
      queue,
      consumer: { workers: 5, order_key: "routing_key" },
      amqp: { durable: true, queue_arguments: { "x-single-active-consumer": true } },
    });
    const active = AgentProcess.start(config);
    await active.ready();
    const standby = AgentProcess.start(config);
    await standby.ready();
    const total = 400;
    const messages = Array.from({ length: total }, (_, i) => ({ key: i % 8, seq: Math.floor(i / 8) }));
    for (const { key, seq } of messages) {
      await suite.broker.publish(exchange, `customer.${key}`, [{ id: key * 1000 + seq, sleepMs: 5 }], {
        persistent: true,
      });
    }
    await waitFor("some progress", () => probeIds(queue).size >= 100, 60_000);
    await active.kill();
    const killedAt = Date.now();
    await waitFor("every message invoked", () => probeIds(queue).size === total, 120_000);
    assert.ok(
      probeRecords(queue).some((r) => r.at > killedAt),
      "the standby took over after the kill (the kill came mid-run)",
    );
    assert.equal(await standby.stop(), 0);
    // "In order" is the order of first invocations: a crash may repeat an earlier message (at least once).
    const firstSeen = new Map<number, number[]>();
    const seen = new Set<number>();
    for (const record of probeRecords(queue)) {
      if (seen.has(record.id)) continue;
      seen.add(record.id);
      const key = Math.floor(record.id / 1000);
      firstSeen.set(key, [...(firstSeen.get(key) ?? []), record.id % 1000]);
    }
    for (const [key, order] of firstSeen) {
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        `key ${key} out of order: ${order.join(",")}`,
      );
    }
    assert.equal(await suite.broker.ready(queue), 0);
  });
});
