import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AgentProcess } from "../helpers/agent-process.js";
import { SuiteBroker, uniqueName } from "../helpers/broker.js";
import { agentConfig } from "../helpers/config.js";
import { probeRecords } from "../helpers/probe.js";
import { REPLIER_FUNCTION, ReplyCollector, requests } from "../helpers/replies.js";
import { waitFor } from "../helpers/wait.js";

/** An agent invoking the replier function, with `reply` as given. */
function replyAgent(
  names: { exchange: string; queue: string },
  reply: Record<string, unknown>,
  more: {
    amqp?: Record<string, unknown>;
    lambda?: Record<string, unknown>;
    consumer?: Record<string, unknown>;
    options?: Record<string, unknown>;
  } = {},
) {
  return agentConfig({
    ...names,
    amqp: { durable: true, ...more.amqp, reply },
    lambda: { function_name: REPLIER_FUNCTION, ...more.lambda },
    consumer: { workers: 10, ...more.consumer },
    options: more.options,
  });
}

/** Invocations the replier recorded per request id. */
function invocationsById(queue: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const record of probeRecords(queue)) counts.set(record.id, (counts.get(record.id) ?? 0) + 1);
  return counts;
}

describe("replies: the function's result published, the input acked after the confirm", () => {
  const suite = new SuiteBroker();

  it("reply_to a durable queue: 1,000 requests → exactly 1,000 replies, correlation ids one to one, bodies the answers", async () => {
    const names = suite.names("rpc");
    const replyQueue = uniqueName("rpc-replies");
    suite.track(replyQueue);
    await suite.broker.declare(names.exchange, names.queue, "#", true);
    await suite.broker.channel.assertQueue(replyQueue, { durable: true });
    const collector = await ReplyCollector.on(replyQueue);
    const agent = AgentProcess.start(replyAgent(names, { mode: "reply_to" }));
    await agent.ready();
    for (const request of requests(1000)) {
      await suite.broker.publish(names.exchange, "rpc.call", [request], {
        replyTo: replyQueue,
        correlationId: `c-${request.id}`,
      });
    }
    await waitFor("1,000 replies", () => collector.replies.length >= 1000, 120_000);
    assert.equal(await agent.stop(), 0);
    await collector.close();
    const byId = collector.byCorrelationId();
    assert.equal(collector.replies.length, 1000, "exactly one reply per request");
    assert.equal(byId.size, 1000);
    for (const [correlationId, [reply]] of byId) {
      const body = JSON.parse(String(reply?.content));
      assert.equal(correlationId, `c-${body.id}`, "the reply answers its own request");
      assert.deepEqual(body, { id: body.id, answer: body.id * 2 });
      assert.equal(reply?.properties.contentType, "application/json");
      assert.equal(reply?.properties.headers?.["x-agent-request-routing-key"], "rpc.call");
      assert.equal(reply?.properties.headers?.["x-answered-by"], "replier");
      assert.match(String(reply?.properties.messageId), /^[0-9a-f]{32}$/);
    }
    assert.equal(await suite.broker.ready(names.queue), 0, "every request acked");
    process.stderr.write(
      `rpc: 1000 sent, ${probeRecords(names.queue).length} invoked, ${collector.replies.length} replied\n`,
    );
  });

  it("the agent SIGKILLed mid-run and restarted: every request answered, duplicates within prefetch with the same message_id", async () => {
    const names = suite.names("rpc-kill");
    const replyQueue = uniqueName("rpc-kill-replies");
    suite.track(replyQueue);
    const prefetch = 10;
    await suite.broker.declare(names.exchange, names.queue, "#", true);
    await suite.broker.channel.assertQueue(replyQueue, { durable: true });
    const collector = await ReplyCollector.on(replyQueue);
    const config = replyAgent(names, { mode: "reply_to" }, { amqp: { prefetch_count: prefetch } });
    for (const request of requests(600, 0, { sleepMs: 5 })) {
      await suite.broker.publish(names.exchange, "rpc.call", [request], {
        replyTo: replyQueue,
        correlationId: `c-${request.id}`,
        persistent: true,
      });
    }
    const first = AgentProcess.start(config);
    await waitFor("some replies", () => collector.replies.length >= 150, 60_000);
    await first.kill();
    const second = AgentProcess.start(config);
    await waitFor("every request answered", () => collector.byCorrelationId().size === 600, 120_000);
    assert.equal(await second.stop(), 0);
    await collector.close();
    const duplicates = collector.replies.length - 600;
    process.stderr.write(
      `rpc sigkill: 600 sent, ${probeRecords(names.queue).length} invoked, ${collector.replies.length} replied, ${duplicates} duplicates\n`,
    );
    assert.ok(
      duplicates >= 0 && duplicates <= prefetch,
      `duplicates ${duplicates} within prefetch ${prefetch}`,
    );
    for (const copies of collector.byCorrelationId().values()) {
      const ids = new Set(copies.map((reply) => reply.properties.messageId));
      assert.equal(ids.size, 1, "a duplicate carries its first copy's message_id");
    }
    assert.equal(await suite.broker.ready(names.queue), 0);
  });

  it("direct reply-to: 200 requests from one requester channel → 200 replies", async () => {
    const names = suite.names("direct");
    await suite.broker.declare(names.exchange, names.queue, "#", true);
    const requester = await ReplyCollector.on("amq.rabbitmq.reply-to");
    const agent = AgentProcess.start(replyAgent(names, { mode: "reply_to" }));
    await agent.ready();
    for (const request of requests(200)) {
      requester.channel.publish(names.exchange, "rpc.direct", Buffer.from(JSON.stringify(request)), {
        contentType: "application/json",
        replyTo: "amq.rabbitmq.reply-to",
        correlationId: `d-${request.id}`,
      });
    }
    await waitFor("200 replies", () => requester.replies.length >= 200, 60_000);
    assert.equal(await agent.stop(), 0);
    await requester.close();
    assert.equal(requester.replies.length, 200);
    assert.equal(requester.byCorrelationId().size, 200);
    assert.equal(await suite.broker.ready(names.queue), 0);
  });

  it("mode exchange: the results exchange deleted mid-run and back 10 s later → nothing dead-lettered or lost, no second invocation, every reply after", async () => {
    const names = suite.names("results");
    const results = uniqueName("results-x");
    const resultsQueue = uniqueName("results-q");
    suite.track(resultsQueue);
    await suite.broker.declare(names.exchange, names.queue, "#", true);
    const declareResults = async () => {
      await suite.broker.channel.assertExchange(results, "topic", { durable: true });
      await suite.broker.channel.assertQueue(resultsQueue, { durable: true });
      await suite.broker.channel.bindQueue(resultsQueue, results, "#");
    };
    await declareResults();
    const collector = await ReplyCollector.on(resultsQueue);
    const agent = AgentProcess.start(
      replyAgent(
        names,
        { mode: "exchange", exchange: results, routing_key: "done.{{routing_key}}.{{header:tenant}}" },
        { options: { http: { enabled: true, address: "127.0.0.1:0" }, summary_interval: "1s" } },
      ),
    );
    const base = await agent.httpBase();
    await agent.ready();
    const publish = (from: number, count: number) =>
      suite.broker.publish(names.exchange, "job", requests(count, from), { headers: { tenant: "acme" } });
    await publish(0, 100);
    await waitFor("the first replies", () => collector.replies.length >= 100, 60_000);
    await suite.broker.channel.deleteExchange(results);
    await publish(100, 100);
    await waitFor("replies failing", () => agent.countLogs(/could not publish a reply/) > 0, 20_000);
    const replyGap = collector.replies.length;
    await new Promise((resolve) => setTimeout(resolve, 10_000)); // the outage the test is about
    assert.equal(collector.replies.length, replyGap, "nothing replied while the exchange is gone");
    const readiness = (await (await fetch(`${base}/readyz`)).json()) as {
      agents: Array<{ heldReplies: number; circuit: string }>;
    };
    assert.ok((readiness.agents[0]?.heldReplies ?? 0) > 0, "/readyz shows the held replies");
    assert.equal(readiness.agents[0]?.circuit, "open", "persisting reply failures opened the breaker");
    assert.ok(agent.lines.some((line) => line.summary === true && Number(line.heldReplies) > 0));
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(
      metrics,
      /amqp_lambda_agent_reply_failures_total\{agent="[^"]+",reason="exchange_not_found"\} [1-9]/,
    );
    await declareResults();
    await waitFor("every reply after it is back", () => collector.replies.length >= 200, 120_000);
    assert.equal(await agent.stop(), 0);
    await collector.close();
    const invocations = invocationsById(names.queue);
    assert.equal(invocations.size, 200);
    assert.deepEqual(
      [...invocations.values()].filter((count) => count !== 1),
      [],
      "no function invoked twice for the same message",
    );
    const answered = new Set(collector.bodies().map((body) => body.id));
    assert.equal(answered.size, 200, "every request answered");
    assert.equal(collector.replies.length, 200, "each once");
    assert.equal(collector.replies[150]?.fields.routingKey, "done.job.acme");
    assert.equal(await suite.broker.ready(`${names.queue}.dlq`), 0, "nothing dead-lettered");
    assert.equal(await suite.broker.ready(names.queue), 0, "nothing left");
    process.stderr.write(
      `results outage: 200 sent, ${probeRecords(names.queue).length} invoked, ${collector.replies.length} replied, 0 lost\n`,
    );
  });

  it("batches of 10 with replies and one batchItemFailures entry → 9 replies at once, the tenth after its retry", async () => {
    const names = suite.names("batch-replies");
    const replyQueue = uniqueName("batch-replies-r");
    suite.track(replyQueue);
    await suite.broker.declare(names.exchange, names.queue, "#", true);
    await suite.broker.channel.assertQueue(replyQueue, { durable: true });
    const collector = await ReplyCollector.on(replyQueue);
    const agent = AgentProcess.start(
      replyAgent(
        names,
        { mode: "reply_to" },
        { lambda: { batch_size: 10, batch_window: "2s" }, consumer: { workers: 1 } },
      ),
    );
    await agent.ready();
    const batch = requests(10).map((request) => (request.id === 7 ? { ...request, fail: "once" } : request));
    await suite.broker.publish(names.exchange, "rpc.batch", batch, { replyTo: replyQueue });
    await waitFor("9 replies", () => collector.replies.length >= 9, 30_000);
    await waitFor("the tenth", () => collector.replies.length >= 10, 30_000);
    assert.equal(await agent.stop(), 0);
    await collector.close();
    const order = collector.bodies().map((body) => body.id);
    assert.equal(order.length, 10);
    assert.equal(order.at(-1), 7, "the failed item's reply comes after its retry");
    assert.deepEqual(
      order.slice(0, 9).sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 8, 9],
    );
    const records = probeRecords(names.queue);
    assert.ok(
      records.filter((r) => r.id !== 7).every((r) => r.batch === 10),
      "the nine came in one batch of 10",
    );
    assert.equal(invocationsById(names.queue).get(7), 2, "the tenth invoked again, alone");
    assert.equal(await suite.broker.ready(names.queue), 0);
  });

  it("on_failure error_reply: a dead-lettered request gets an error reply, the others their answers", async () => {
    const names = suite.names("error-reply");
    const replyQueue = uniqueName("error-reply-r");
    suite.track(replyQueue);
    await suite.broker.declare(names.exchange, names.queue, "#", true);
    await suite.broker.channel.assertQueue(replyQueue, { durable: true });
    const collector = await ReplyCollector.on(replyQueue);
    const agent = AgentProcess.start(
      replyAgent(names, { mode: "reply_to", on_failure: "error_reply" }, { lambda: { max_retries: 0 } }),
    );
    await agent.ready();
    await suite.broker.publish(names.exchange, "rpc.call", [{ id: 1 }, { id: 2, fail: "always" }], {
      replyTo: replyQueue,
    });
    await waitFor("2 replies", () => collector.replies.length >= 2, 30_000);
    assert.equal(await agent.stop(), 0);
    await collector.close();
    const error = collector.replies.find((reply) => reply.properties.headers?.["x-agent-error-type"]);
    assert.ok(error, "an error reply");
    // The function reported it in batchItemFailures (processRecords): the agent's failure says so.
    assert.equal(error.properties.headers?.["x-agent-error-type"], "BatchItemFailure");
    assert.match(JSON.parse(String(error.content)).error.message, /reported message \d+ as failed/);
    const answer = collector.replies.find((reply) => !reply.properties.headers?.["x-agent-error-type"]);
    assert.deepEqual(JSON.parse(String(answer?.content)), { id: 1, answer: 2 });
    assert.equal(await suite.broker.ready(`${names.queue}.dlq`), 1, "the request is dead-lettered as before");
    assert.equal(await suite.broker.ready(names.queue), 0);
  });
});
