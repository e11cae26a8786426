import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AgentProcess } from "../helpers/agent-process.js";
import { AMQP_URL, SuiteBroker } from "../helpers/broker.js";
import { type HttpStub, type RecordedRequest, type StubReply, startHttpStub } from "../helpers/http-stub.js";
import { waitFor } from "../helpers/wait.js";

const idOf = (request: RecordedRequest) => (JSON.parse(request.body.toString()) as { id: number }).id;

/** An agent whose backends are HTTP entries, read with KrakenD's fields. */
function httpAgent(o: {
  exchange: string;
  queue: string;
  backends: Array<Record<string, unknown>>;
  amqp?: Record<string, unknown>;
  agent?: Record<string, unknown>;
}) {
  return {
    async_agent: [
      {
        name: `http-${o.queue}`,
        connection: { max_retries: 0, backoff_strategy: "fallback", health_interval: "1s" },
        consumer: { topic: "#", workers: 5, timeout: "3s" },
        backend: o.backends,
        extra_config: {
          "async/amqp": {
            host: AMQP_URL,
            name: o.queue,
            exchange: o.exchange,
            prefetch_count: 10,
            ...o.amqp,
          },
          ...o.agent,
        },
      },
    ],
    amqp_lambda_agent: { http: { enabled: false }, summary_interval: "2s" },
  };
}

describe("HTTP backends: KrakenD's backends, without KrakenD's ways of losing messages", () => {
  const suite = new SuiteBroker();
  let stub: HttpStub;
  let reply: (request: RecordedRequest) => StubReply = () => ({ status: 200 });
  before(async () => {
    stub = await startHttpStub({ reply: (request) => reply(request) });
  });
  after(() => stub.close());

  it("KrakenD's playground async agent runs unchanged: one POST per message, the body byte for byte", async () => {
    const { exchange, queue } = suite.names("playground");
    reply = () => ({ status: 200 });
    const before = stub.requests.length;
    // The async agent of krakend/playground-community's krakend.json, the broker and backend hosts
    // pointed at the test's.
    const config = {
      version: 3,
      timeout: "3000ms",
      host: ["http://fake_api:8080"],
      endpoints: [{ endpoint: "/post", method: "POST", backend: [{ url_pattern: "/__debug/post" }] }],
      sequential_start: true,
      async_agent: [
        {
          name: "async-agent-demo",
          backend: [{ host: [stub.url], url_pattern: "/__debug/async-agent-demo", method: "POST" }],
          consumer: { topic: "*.bar", workers: 20 },
          connection: { max_retries: 10, backoff_strategy: "exponential-jitter" },
          extra_config: {
            "async/amqp": { name: queue, host: AMQP_URL, exchange, prefetch_count: 40, auto_ack: true },
          },
        },
      ],
      extra_config: { "telemetry/logging": { level: "DEBUG", prefix: "[KRAKEND]", stdout: true } },
    };
    const agent = AgentProcess.start(config, { AMQP_LAMBDA_AGENT_HTTP_ADDRESS: "127.0.0.1:0" });
    await agent.ready();
    const bodies = [Buffer.from('{"id":1}'), Buffer.from([0, 159, 255, 10, 13]), Buffer.from("plain text é")];
    await suite.broker.publish(exchange, "foo.bar", bodies);
    await stub.received(before + 3);
    assert.equal(await agent.stop(), 0);
    const seen = stub.requests.slice(before);
    assert.deepEqual(
      seen.map((r) => [r.method, r.url]),
      bodies.map(() => ["POST", "/__debug/async-agent-demo"]),
    );
    assert.deepEqual(
      seen.map((r) => r.body.toString("hex")).sort(),
      bodies.map((b) => b.toString("hex")).sort(),
      "each body byte for byte",
    );
    assert.equal(seen[0]?.headers["content-type"], "application/json", "the message's content_type");
  });

  it("2xx acked (200, 201, 202, 204); 400 retried, then dead-lettered with its status", async () => {
    const { exchange, queue } = suite.names("statuses");
    reply = (request) => ({ status: (JSON.parse(request.body.toString()) as { status: number }).status });
    const config = httpAgent({
      exchange,
      queue,
      backends: [{ host: [stub.url], url_pattern: "/in", method: "POST" }],
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    const before = stub.requests.length;
    await suite.broker.publish(
      exchange,
      "k",
      [200, 201, 202, 204, 400].map((status, id) => ({ id, status })),
    );
    await waitFor(
      "the 400 dead-lettered",
      async () => (await suite.broker.ready(`${queue}.dlq`)) === 1,
      20_000,
    );
    assert.equal(await agent.stop(), 0);
    const counts = new Map<number, number>();
    for (const r of stub.requests.slice(before)) counts.set(idOf(r), (counts.get(idOf(r)) ?? 0) + 1);
    assert.deepEqual(
      [0, 1, 2, 3].map((id) => counts.get(id)),
      [1, 1, 1, 1],
      "each 2xx once, then acked",
    );
    assert.equal(counts.get(4), 3, "the 400: max_retries 2, three requests");
    const [dead] = await suite.broker.drain(`${queue}.dlq`);
    assert.equal(dead?.properties.headers?.["x-agent-error-type"], "HttpStatus400");
    assert.equal(await suite.broker.ready(queue), 0);
  });

  it("10 s of 503 on every call, 300 queued: the breaker opens, none dead-lettered, all 300 processed after", async () => {
    const { exchange, queue } = suite.names("outage-503");
    let failing = true;
    const answered = new Set<number>();
    reply = (request) => {
      if (failing) return { status: 503 };
      answered.add(idOf(request));
      return { status: 200 };
    };
    const config = httpAgent({
      exchange,
      queue,
      backends: [{ host: [stub.url], url_pattern: "/in", method: "POST" }],
      amqp: { durable: true },
    });
    await suite.broker.declare(exchange, queue, "#", true);
    await suite.broker.publish(
      exchange,
      "k",
      Array.from({ length: 300 }, (_, id) => ({ id })),
      { persistent: true },
    );
    const agent = AgentProcess.start(config);
    await agent.ready();
    await agent.waitForLog(/circuit breaker open/, 20_000);
    await sleep(10_000); // the outage itself, not a wait for something
    failing = false;
    await waitFor("all 300 answered 200", () => answered.size === 300, 60_000);
    await waitFor("the queue drained", async () => (await suite.broker.ready(queue)) === 0, 30_000);
    assert.equal(await agent.stop(), 0);
    assert.equal(await suite.broker.ready(`${queue}.dlq`), 0, "0 dead-lettered");
  });

  it('encoding "no-op" with 500s: nothing acked while failing, one start-up warning quoting it', async () => {
    const { exchange, queue } = suite.names("noop");
    let failing = true;
    const answered = new Set<number>();
    reply = (request) => {
      if (failing) return { status: 500 };
      answered.add(idOf(request));
      return { status: 200 };
    };
    const config = httpAgent({
      exchange,
      queue,
      backends: [{ host: [stub.url], url_pattern: "/in", method: "POST", encoding: "no-op" }],
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    const warnings = agent.lines.filter((l) => l.level === 40 && /encoding: "no-op"/.test(String(l.msg)));
    assert.equal(warnings.length, 1, "one warning at start-up, quoting the field");
    await suite.broker.publish(exchange, "k", [{ id: 1 }, { id: 2 }]);
    await agent.waitForLog(/circuit breaker open/, 20_000);
    assert.equal(answered.size, 0);
    assert.equal(
      await suite.broker.ready(`${queue}.dlq`),
      0,
      "nothing dead-lettered: a 500 is the platform's",
    );
    failing = false;
    await waitFor("both succeeded after the backend recovered", () => answered.size === 2, 60_000);
    assert.equal(await agent.stop(), 0);
    assert.equal(await suite.broker.ready(queue), 0, "acked once they succeeded");
    assert.equal(await suite.broker.ready(`${queue}.dlq`), 0);
  });

  for (const broker of [false, true]) {
    it(`two backends, the second failing once per message with a 400: the first is called once per message${broker ? " (across a broker-held retry)" : ""}`, async () => {
      const { exchange, queue } = suite.names(broker ? "two-retryq" : "two");
      if (broker) suite.track(`${queue}.retry.1s`);
      const secondSeen = new Set<number>();
      reply = (request) => {
        if (!request.url.startsWith("/second")) return { status: 200 };
        const id = idOf(request);
        if (secondSeen.has(id)) return { status: 200 };
        secondSeen.add(id);
        return { status: 400 };
      };
      const config = httpAgent({
        exchange,
        queue,
        backends: [
          { host: [stub.url], url_pattern: "/first", method: "POST" },
          {
            host: [stub.url],
            url_pattern: `/second`,
            method: "POST",
            extra_config: { "amqp_lambda_agent/http": { max_retries: broker ? 0 : 2 } },
          },
        ],
        amqp: broker ? { retry_delays: ["1s"] } : {},
      });
      const before = stub.requests.length;
      const agent = AgentProcess.start(config);
      await agent.ready();
      await suite.broker.publish(
        exchange,
        "k",
        Array.from({ length: 10 }, (_, id) => ({ id })),
      );
      await waitFor(
        "every message's second call succeeded",
        () => {
          const second = stub.requests.slice(before).filter((r) => r.url === "/second");
          return new Set(second.map(idOf)).size === 10 && second.length === 20;
        },
        30_000,
      );
      await waitFor("the queue drained", async () => (await suite.broker.ready(queue)) === 0, 10_000);
      assert.equal(await agent.stop(), 0);
      const first = stub.requests
        .slice(before)
        .filter((r) => r.url === "/first")
        .map(idOf);
      assert.deepEqual(
        first.sort((a, b) => a - b),
        Array.from({ length: 10 }, (_, id) => id),
        "once per message",
      );
      assert.equal(await suite.broker.ready(`${queue}.dlq`), 0);
    });
  }

  it("auth/aws-sigv4: requests signed over their payload; a wrong secret is refused by the verifying stub", async () => {
    const credentials = { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" };
    const signed = await startHttpStub({ sigv4: { credentials, region: "eu-west-1", service: "lambda" } });
    try {
      for (const [secret, expected] of [
        ["test-secret", "valid"],
        ["tampered-secret", "invalid"],
      ] as const) {
        const { exchange, queue } = suite.names(`sigv4-${expected}`);
        const config = httpAgent({
          exchange,
          queue,
          backends: [
            {
              host: [signed.url],
              url_pattern: "/2015-03-31/functions/x/invocations",
              method: "POST",
              extra_config: { "auth/aws-sigv4": { region: "eu-west-1", service: "lambda" } },
            },
          ],
        });
        const before = signed.requests.length;
        const agent = AgentProcess.start(config, {
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: secret,
        });
        await agent.ready();
        await suite.broker.publish(exchange, "k", [{ id: 1 }]);
        await signed.received(before + 1);
        assert.equal(await agent.stop(), 0);
        assert.equal(signed.requests[before]?.signature, expected);
        assert.equal(signed.requests[before]?.body.toString(), '{"id":1}');
      }
    } finally {
      await signed.close();
    }
  });
});
