import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AgentProcess } from "../helpers/agent-process.js";
import { SuiteBroker } from "../helpers/broker.js";
import { agentConfig } from "../helpers/config.js";
import { probeIds, probeRecords } from "../helpers/probe.js";
import { waitFor } from "../helpers/wait.js";

describe("batching, partial batch failures and the Lambda-side event", () => {
  const suite = new SuiteBroker();
  const names = (prefix: string) => suite.names(prefix);
  const deadIds = async (queue: string) =>
    (await suite.broker.drain(`${queue}.dlq`)).map((m) => {
      try {
        return JSON.parse(m.content.toString()).id as number;
      } catch {
        return m.content.toString();
      }
    });

  it("1,000 messages in batches of 10, every tenth failing through batchItemFailures", async () => {
    const { exchange, queue } = names("batch");
    const config = agentConfig({
      exchange,
      queue,
      consumer: { workers: 5 },
      amqp: { prefetch_count: 100 },
      lambda: { batch_size: 10, batch_window: "200ms", max_retries: 0 },
    });
    await suite.broker.declare(exchange, queue, "#");
    const bodies = Array.from({ length: 1000 }, (_, id) => (id % 10 === 9 ? { id, fail: "items" } : { id }));
    await suite.broker.publish(exchange, "k", bodies);
    const agent = AgentProcess.start(config);
    await waitFor("all 1,000 invoked", () => probeIds(queue).size === 1000, 60_000);
    await waitFor("100 dead letters", async () => (await suite.broker.ready(`${queue}.dlq`)) === 100, 30_000);
    assert.equal(await agent.stop(), 0);
    const records = probeRecords(queue);
    const invocations = new Set(records.map((r) => r.invocation)).size;
    process.stderr.write(`batching: 1000 messages in ${invocations} invocations\n`);
    assert.ok(
      invocations >= 100 && invocations <= 110,
      `about 100 invocations, not 1,000 (got ${invocations})`,
    );
    assert.equal(records.length, 1000, "every message invoked exactly once");
    const dead = (await deadIds(queue)).sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(
      dead,
      bodies.filter((b) => b.fail).map((b) => b.id),
      "exactly the failing ones are dead-lettered",
    );
    assert.equal(await suite.broker.ready(queue), 0, "the others were acked");
  });

  it("retries only the failed items of a batch", async () => {
    const { exchange, queue } = names("batch-retry");
    const config = agentConfig({
      exchange,
      queue,
      amqp: { prefetch_count: 10 },
      lambda: { batch_size: 10, batch_window: "300ms", max_retries: 1 },
    });
    await suite.broker.declare(exchange, queue, "#");
    await suite.broker.publish(
      exchange,
      "k",
      Array.from({ length: 10 }, (_, id) => (id === 3 ? { id, fail: "items" } : { id })),
    );
    const agent = AgentProcess.start(config);
    await waitFor("the dead letter", async () => (await suite.broker.ready(`${queue}.dlq`)) === 1, 30_000);
    assert.equal(await agent.stop(), 0);
    const records = probeRecords(queue);
    assert.equal(records.filter((r) => r.id === 3).length, 2, "the failed item was retried once");
    assert.equal(records.length, 11, "the others were not invoked again");
    assert.equal(
      records.find((r) => r.id === 3 && r.batch === 1)?.id,
      3,
      "the retry carried only the failed item",
    );
  });

  it("a handler written for Amazon MQ's event (rmqMessagesByQueue, base64 data) runs unchanged", async () => {
    // examples/handlers/probe.mjs decodes `data` by hand from rmqMessagesByQueue["<queue>::<vhost>"].
    const { exchange, queue } = names("amazonmq");
    const agent = AgentProcess.start(
      agentConfig({ exchange, queue, lambda: { batch_size: 5, batch_window: "100ms" } }),
    );
    await agent.ready();
    await suite.broker.publish(
      exchange,
      "order.created",
      Array.from({ length: 5 }, (_, id) => ({ id })),
      { contentType: "application/json" },
    );
    await waitFor("5 decoded", () => probeIds(queue).size === 5);
    assert.equal(await agent.stop(), 0);
    for (const record of probeRecords(queue)) {
      assert.equal(record.contentType, "application/json");
      assert.equal(record.routingKey, "order.created");
      assert.equal(record.exchange, exchange);
      assert.match(record.deliveryTag, /^\d+$/);
    }
  });

  it("the middleware example: a body that is not JSON fails only its own message", async () => {
    const { exchange, queue } = names("middy");
    const config = agentConfig({
      exchange,
      queue,
      lambda: {
        function_name: "amqp-lambda-agent-example-dev-orders-batch",
        batch_size: 10,
        batch_window: "300ms",
        max_retries: 0,
      },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    await suite.broker.publish(exchange, "k", [{ id: 1 }, "{not json", { id: 2 }]);
    await waitFor("the dead letter", async () => (await suite.broker.ready(`${queue}.dlq`)) === 1, 30_000);
    await waitFor("the two good ones", () => probeIds(queue).size === 2);
    assert.equal(await agent.stop(), 0);
    assert.deepEqual(await deadIds(queue), ["{not json"]);
  });

  it('event_format "body": the body is the payload; a body that is not JSON goes to the dead-letter queue', async () => {
    const { exchange, queue } = names("body");
    const config = agentConfig({
      exchange,
      queue,
      lambda: { function_name: "amqp-lambda-agent-example-dev-orders-body", event_format: "body" },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    await suite.broker.publish(exchange, "k", [{ id: 1, queue }, "plain text", { id: 2, queue }]);
    await waitFor("the dead letter", async () => (await suite.broker.ready(`${queue}.dlq`)) === 1, 30_000);
    await waitFor("the two JSON bodies", () => probeIds(queue).size === 2);
    assert.equal(await agent.stop(), 0);
    const [dead] = await suite.broker.drain(`${queue}.dlq`);
    assert.equal(dead?.content.toString(), "plain text");
    assert.equal(dead?.properties.headers?.["x-agent-error-type"], "InvalidJsonBody");
    assert.equal(dead?.properties.headers?.["x-agent-attempts"], 1, "a permanent failure is not retried");
  });
});
