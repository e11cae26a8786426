import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AgentProcess, runCli, writeConfig } from "../helpers/agent-process.js";
import { SuiteBroker } from "../helpers/broker.js";
import { agentConfig } from "../helpers/config.js";
import { LAMBDA_ENDPOINT, probeIds, probeRecords } from "../helpers/probe.js";
import { waitFor } from "../helpers/wait.js";

const ids = (n: number) => Array.from({ length: n }, (_, id) => ({ id }));

describe("failure policies and permanent errors", () => {
  const suite = new SuiteBroker();

  it("an unknown function is the platform's failure, not the messages': none dead-lettered, all given back on stop", async () => {
    const { exchange, queue } = suite.names("notfound");
    const agent = AgentProcess.start(
      agentConfig({ exchange, queue, lambda: { function_name: "no-such-function", max_retries: 1 } }),
    );
    await agent.ready();
    await suite.broker.publish(exchange, "k", ids(8));
    await agent.waitForLog(/circuit breaker open: .*ResourceNotFoundException/);
    assert.equal(await agent.stop(), 0);
    assert.equal(await suite.broker.ready(`${queue}.dlq`), 0, "nothing dead-lettered");
    assert.equal(await suite.broker.ready(queue), 8, "every message back in the queue");
  });

  it("a payload over Lambda's 6 MB limit is not sent: dead-lettered after one attempt, body intact", async () => {
    const { exchange, queue } = suite.names("toolarge");
    const agent = AgentProcess.start(agentConfig({ exchange, queue }));
    await agent.ready();
    const big = Buffer.alloc(5 * 1024 * 1024, "a"); // 6.7 MB once base64-encoded in the event
    await suite.broker.publish(exchange, "k", [big, { id: 2 }]);
    await waitFor("the dead letter", async () => (await suite.broker.ready(`${queue}.dlq`)) === 1);
    await waitFor("the small message", () => probeIds(queue).has(2));
    assert.equal(await agent.stop(), 0);
    const [dead] = await suite.broker.drain(`${queue}.dlq`);
    assert.equal(dead?.properties.headers?.["x-agent-error-type"], "PayloadTooLarge");
    assert.equal(dead?.properties.headers?.["x-agent-attempts"], 1);
    assert.equal(dead?.content.length, big.length);
    assert.equal(probeRecords(queue).length, 1, "the big one never reached the function");
  });

  it('failure_policy "reject" (nack_discard) hands the message to the queue\'s own dead-letter exchange', async () => {
    const { exchange, queue } = suite.names("reject");
    const { queue: brokerDlq } = suite.names("reject-dlx");
    await suite.broker.channel.assertQueue(brokerDlq);
    const config = agentConfig({
      exchange,
      queue,
      amqp: {
        nack_discard: true,
        queue_arguments: { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": brokerDlq },
      },
      lambda: { max_retries: 1 },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    await suite.broker.publish(exchange, "k", [{ id: 1, fail: "always" }]);
    await waitFor("the broker's dead letter", async () => (await suite.broker.ready(brokerDlq)) === 1);
    assert.equal(await agent.stop(), 0);
    assert.equal(probeRecords(queue).length, 2, "1 attempt + 1 retry, then rejected");
    assert.equal(await suite.broker.ready(`${queue}.dlq`), 0, "the agent's own DLQ is not used");
    const [dead] = await suite.broker.drain(brokerDlq);
    const deaths = (dead?.properties.headers?.["x-death"] ?? []) as Array<{ reason: string }>;
    assert.equal(deaths[0]?.reason, "rejected");
  });

  it("redrive leaves a dead letter that no queue would receive in the dead-letter queue", async () => {
    const { exchange, queue } = suite.names("unroutable");
    const config = agentConfig({ exchange, queue, topic: "orders.#", lambda: { max_retries: 0 } });
    const agent = AgentProcess.start(config);
    await agent.ready();
    await suite.broker.publish(
      exchange,
      "orders.eu",
      [1, 2, 3].map((id) => ({ id, fail: "always" })),
    );
    await waitFor("3 dead letters", async () => (await suite.broker.ready(`${queue}.dlq`)) === 3);
    assert.equal(await agent.stop(), 0);
    await suite.broker.channel.unbindQueue(queue, exchange, "orders.#");
    const result = await runCli(["redrive", "--config", writeConfig(config)]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /moved 0 message/);
    assert.match(result.stderr, /0 moved, 3 skipped/);
    assert.equal(await suite.broker.ready(`${queue}.dlq`), 3, "nothing lost");
  });

  it("AWS_ENDPOINT_URL_LAMBDA works when the config names no endpoint", async () => {
    const { exchange, queue } = suite.names("envendpoint");
    const agent = AgentProcess.start(
      agentConfig({ exchange, queue, lambda: { endpoint: undefined, region: undefined } }),
      {
        AWS_ENDPOINT_URL_LAMBDA: LAMBDA_ENDPOINT,
        AWS_ACCESS_KEY_ID: "",
        AWS_REGION: "",
      },
    );
    await agent.ready();
    await suite.broker.publish(exchange, "k", [{ id: 7 }]);
    await waitFor("the invocation", () => probeIds(queue).has(7));
    assert.equal(await agent.stop(), 0);
  });
});

describe("stopping", () => {
  const suite = new SuiteBroker();

  it("a second signal exits at once; the broker redelivers what was unacked", async () => {
    const { exchange, queue } = suite.names("twosignals");
    const agent = AgentProcess.start(
      agentConfig({ exchange, queue, consumer: { workers: 3, timeout: "30s" } }),
    );
    await agent.ready();
    await suite.broker.publish(
      exchange,
      "k",
      Array.from({ length: 3 }, (_, id) => ({ id, sleepMs: 20_000 })),
    );
    await waitFor("3 in flight", () => probeRecords(queue).length === 3);
    agent.signal("SIGTERM");
    await agent.waitForLog(/draining/);
    agent.signal("SIGTERM");
    const code = await agent.exited;
    assert.equal(code, 143, "exits at once, without waiting for the 20 s invocations");
    await waitFor("the 3 messages back in the queue", async () => (await suite.broker.ready(queue)) === 3);
  });

  it("the drain waits at most drain_timeout, then closes; unfinished messages go back to the queue", async () => {
    const { exchange, queue } = suite.names("draintimeout");
    const agent = AgentProcess.start(agentConfig({ exchange, queue, consumer: { timeout: "30s" } }), {}, [
      "--drain-timeout",
      "1s",
    ]);
    await agent.ready();
    await suite.broker.publish(exchange, "k", [{ id: 1, sleepMs: 20_000 }]);
    await waitFor("in flight", () => probeRecords(queue).length === 1);
    assert.equal(await agent.stop(10_000), 0);
    assert.ok(agent.countLogs(/drain timeout: closing with 1 message/) === 1);
    await waitFor("the message back in the queue", async () => (await suite.broker.ready(queue)) === 1);
  });
});
