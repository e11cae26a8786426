import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadConfigFile, resolveConfig } from "../../../src/config/index.js";
import { ConfigError } from "../../../src/errors.js";
import { file, seedAgent } from "./fixtures.js";

function errorOf(raw: unknown, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    resolveConfig(raw, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the config to be rejected");
}

describe("resolveConfig", () => {
  it("maps every seed field of a whole krakend.json, ignoring KrakenD's own keys", () => {
    const { agents } = resolveConfig(file(seedAgent()), {});
    const [agent] = agents;
    assert.ok(agent);
    assert.deepEqual(agent.amqp, {
      urls: ["amqp://guest:guest@localhost:5672/"],
      queue: "krakend",
      exchange: "foo",
      exchangeType: "topic",
      bindings: [{ routingKey: "*", arguments: {} }],
      declare: true,
      durable: true,
      autoDelete: false,
      exclusive: false,
      noWait: true,
      prefetchCount: 5,
      requestedPrefetchCount: 5,
      prefetchSize: 0,
      noLocal: true,
      autoAck: false,
      failurePolicy: "dead_letter",
      deadLetterQueue: "krakend.dlq",
      agentExchange: "krakend.agent",
      retrySteps: [],
      setAside: { queue: "krakend.retry.setaside", routingKey: "retry.setaside" },
      requeueDelayMs: 1000,
      queueArguments: {},
      maxBacklog: 100,
      consumerTimeoutMs: 1_800_000,
      circuitBreaker: {
        enabled: true,
        failureThreshold: 5,
        functionErrorRatio: 0.5,
        functionErrorMinMessages: 10,
        windowMs: 10_000,
        probeIntervalMs: 1000,
        maxProbeIntervalMs: 30_000,
      },
      tls: undefined,
      reply: undefined,
    });
    assert.deepEqual(agent.consumer, {
      workers: 5,
      timeoutMs: 1000,
      maxRate: 5,
      drainTimeoutMs: 30_000,
      orderKey: undefined,
    });
    assert.deepEqual(agent.connection, {
      maxRetries: 10,
      backoffStrategy: "exponential",
      healthIntervalMs: 10_000,
    });
    assert.deepEqual(agent.lambda, {
      functionName: "my-fn",
      region: "eu-west-1",
      endpoint: "http://localhost:3002",
      maxRetries: 1,
      batchSize: 1,
      batchWindowMs: 0,
      eventFormat: "rmq",
      filterPatterns: undefined,
      client: "http",
      largePayload: undefined,
    });
  });

  it("defaults what the file leaves out, as KrakenD does", () => {
    const raw = seedAgent({ agent: { connection: undefined, consumer: { topic: "#" } } });
    const amqp = (raw.extra_config as Record<string, Record<string, unknown>>)["async/amqp"] as Record<
      string,
      unknown
    >;
    for (const key of ["durable", "delete", "exclusive", "no_wait", "prefetch_count", "auto_ack", "no_local"])
      delete amqp[key];
    const [agent] = resolveConfig({ async_agent: [raw] }, {}).agents;
    assert.equal(agent?.amqp.durable, false);
    assert.equal(agent?.amqp.prefetchCount, 100, "no prefetch_count: bounded by max_backlog");
    assert.equal(agent?.amqp.autoAck, false);
    assert.equal(agent?.consumer.workers, 1);
    assert.equal(agent?.consumer.timeoutMs, 2000);
    assert.equal(agent?.connection.maxRetries, Number.POSITIVE_INFINITY);
    assert.equal(agent?.connection.backoffStrategy, "fallback");
    assert.equal(agent?.connection.healthIntervalMs, 1000);
  });

  it("substitutes {{ env }} placeholders; passwords are secrets, names are not", () => {
    const raw = file(
      seedAgent({
        amqp: {
          host: 'amqp://app:{{ env "BROKER_PASSWORD" }}@localhost:5672/',
          name: '{{ env "QUEUE" }}',
          exchange: '{{ env "QUEUE" }}-x',
        },
      }),
    );
    const loaded = resolveConfig(raw, { BROKER_PASSWORD: "s3cr3t-pw", QUEUE: "orders" });
    assert.deepEqual(loaded.agents[0]?.amqp.urls, ["amqp://app:s3cr3t-pw@localhost:5672/"]);
    assert.equal(loaded.agents[0]?.amqp.exchange, "orders-x");
    assert.deepEqual(loaded.secrets, ["s3cr3t-pw"], "the queue name is not a secret");
  });

  it("treats max_retries 0 or less as unlimited and max_rate -1 as unlimited", () => {
    const raw = seedAgent({
      agent: { connection: { max_retries: -1 }, consumer: { topic: "*", max_rate: -1 } },
    });
    const [agent] = resolveConfig(file(raw), {}).agents;
    assert.equal(agent?.connection.maxRetries, Number.POSITIVE_INFINITY);
    assert.equal(agent?.consumer.maxRate, 0);
  });

  it("raises prefetch_count so batches can fill, and bounds 0 (unlimited) by max_backlog", () => {
    const batched = seedAgent({ amqp: { prefetch_count: 10 }, lambda: { batch_size: 10 } });
    const [agent] = resolveConfig(file(batched), {}).agents;
    assert.equal(agent?.amqp.prefetchCount, 50, "batch_size 10 × workers 5");
    assert.equal(agent?.amqp.requestedPrefetchCount, 10);
    const unlimited = seedAgent({ amqp: { prefetch_count: 0 } });
    assert.equal(
      resolveConfig(file(unlimited), {}).agents[0]?.amqp.prefetchCount,
      100,
      "KrakenD's unlimited prefetch becomes the agent's backlog limit: qos is the back-pressure",
    );
  });

  it("accepts KrakenD's comment keys in every section", () => {
    const raw = seedAgent({
      amqp: { "@comment": "orders", $ref: "x" },
      agent: { consumer: { topic: "*", "@comment": "c" } },
    });
    assert.equal(resolveConfig(file(raw), {}).agents[0]?.amqp.queue, "krakend");
  });

  it("keeps _-, $-, #- and @-prefixed names inside header maps and mapping (data, not comments)", () => {
    const raw = seedAgent({
      amqp: { reply: { mode: "reply_to", headers: { _id: "r", $kind: "x", "@at": "y", "#n": 1 } } },
    });
    const [backend] = raw.backend as Array<Record<string, unknown>>;
    raw.backend = [
      backend,
      {
        host: ["http://127.0.0.1:8080"],
        url_pattern: "/in",
        method: "POST",
        mapping: { _id: "id" },
        extra_config: { "amqp_lambda_agent/http": { headers: { _Tenant: "acme", "#Trace": "kept" } } },
      },
    ];
    const [agent] = resolveConfig(file(raw), {}).agents;
    assert.deepEqual(agent?.amqp.reply?.headers, { _id: "r", $kind: "x", "@at": "y", "#n": 1 });
    const http = agent?.backends[1];
    assert.equal(http?.kind, "http");
    assert.deepEqual(http?.kind === "http" ? http.http.headers : undefined, {
      _Tenant: "acme",
      "#Trace": "kept",
    });
  });

  it("consumer.timeout defaults to the file's root timeout, then 2 s", () => {
    const raw = seedAgent({ agent: { consumer: { topic: "*" } } });
    assert.equal(
      resolveConfig({ timeout: "10s", async_agent: [raw] }, {}).agents[0]?.consumer.timeoutMs,
      10_000,
    );
    assert.equal(resolveConfig({ async_agent: [raw] }, {}).agents[0]?.consumer.timeoutMs, 2000);
  });

  it("caps the raised prefetch at basic.qos's 65535", () => {
    const raw = seedAgent({
      amqp: { prefetch_count: 1 },
      lambda: { batch_size: 10_000 },
      agent: { consumer: { topic: "*", workers: 7 } },
    });
    assert.equal(resolveConfig(file(raw), {}).agents[0]?.amqp.prefetchCount, 65_535);
  });

  it("maps nack_discard to the reject policy", () => {
    const [agent] = resolveConfig(file(seedAgent({ amqp: { nack_discard: true } })), {}).agents;
    assert.equal(agent?.amqp.failurePolicy, "reject");
  });
});

describe("resolveConfig rejects bad input with the JSON path and the expected form", () => {
  const cases: Array<[string, unknown, RegExp]> = [
    [
      "a misspelt key",
      file(seedAgent({ amqp: { prefetch_cout: 5 } })),
      /async_agent\[0\]\.extra_config\["async\/amqp"\]\.prefetch_cout: unknown key "prefetch_cout"; did you mean "prefetch_count"\?/,
    ],
    [
      "a negative prefetch",
      file(seedAgent({ amqp: { prefetch_count: -1 } })),
      /\.prefetch_count: expected a whole number from 0 to 65535/,
    ],
    ["a wrong type", file(seedAgent({ amqp: { durable: "yes" } })), /\.durable: expected boolean/],
    [
      "a missing exchange",
      file(seedAgent({ amqp: { exchange: undefined } })),
      /\["async\/amqp"\]\.exchange: is required: expected the exchange name/,
    ],
    [
      "an unknown backoff strategy",
      file(seedAgent({ agent: { connection: { backoff_strategy: "random" } } })),
      /connection\.backoff_strategy: expected one of "linear", "linear-jitter", "exponential", "exponential-jitter", "fallback"/,
    ],
    [
      "a bad duration",
      file(seedAgent({ agent: { consumer: { topic: "*", timeout: "soon" } } })),
      /consumer\.timeout: expected a duration such as "500ms", "1s" or "2m", got "soon"/,
    ],
    [
      "a health interval under 1s",
      file(seedAgent({ agent: { connection: { health_interval: "500ms" } } })),
      /connection\.health_interval: must be at least 1s/,
    ],
    [
      "a non-AMQP host",
      file(seedAgent({ amqp: { host: "http://localhost" } })),
      /\.host: expected an AMQP URL/,
    ],
    [
      "a duration over a Node.js timer's limit",
      file(seedAgent({ agent: { connection: { health_interval: "30d" } } })),
      /health_interval: expected a duration/,
    ],
    [
      "a duration over a Node.js timer's limit (hours)",
      file(seedAgent({ agent: { connection: { health_interval: "600h" } } })),
      /health_interval: must be at most 24 days/,
    ],
    ["no async_agent", { endpoints: [] }, /async_agent: is required/],
    [
      "an unknown consumer key",
      file(seedAgent({ agent: { consumer: { topic: "*", worker: 3 } } })),
      /consumer\.worker: unknown key "worker"; did you mean "workers"\?/,
    ],
  ];
  for (const [what, raw, expected] of cases) {
    it(what, () => assert.match(errorOf(raw).message, expected));
  }

  it("a missing function_name", () => {
    const raw = seedAgent({ lambda: { function_name: undefined } });
    assert.match(
      errorOf(file(raw)).message,
      /backend\[0\]\.extra_config\["backend\/lambda"\]\.function_name: is required/,
    );
  });

  it("no backend at all", () => {
    assert.match(
      errorOf(file(seedAgent({ agent: { backend: [] } }))).message,
      /async_agent\[0\]\.backend: lists no backend; add one with extra_config\["backend\/lambda"\]/,
    );
  });

  it("a backend without backend/lambda is an HTTP backend: its url_pattern is required", () => {
    assert.match(
      errorOf(file(seedAgent({ agent: { backend: [{ host: ["http://127.0.0.1:8080"] }] } }))).message,
      /async_agent\[0\]\.backend\[0\]\.url_pattern/,
    );
  });

  it("a missing environment variable", () => {
    const raw = file(seedAgent({ amqp: { host: 'amqp://u:{{ env "NOPE_PW" }}@h/' } }));
    assert.match(errorOf(raw).message, /\["async\/amqp"\]\.host: environment variable NOPE_PW is not set/);
  });

  it("duplicate agent names", () => {
    assert.match(
      errorOf(file(seedAgent(), seedAgent())).message,
      /async_agent\[1\]\.name: duplicate agent name "cool-agent"/,
    );
  });

  it("nack_discard contradicting failure_policy", () => {
    assert.match(
      errorOf(file(seedAgent({ amqp: { nack_discard: true, failure_policy: "requeue" } }))).message,
      /nack_discard: true means failure_policy "reject"/,
    );
  });

  it("never echoes the broker password", () => {
    const error = errorOf(
      file(seedAgent({ amqp: { host: "amqp://u:hunter2-secret@h/", prefetch_count: "x" } })),
    );
    assert.doesNotMatch(error.message, /hunter2-secret/);
  });
});

describe("loadConfigFile", () => {
  it("says when a file is not JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const path = join(dir, "bad.json");
    writeFileSync(path, "{ async_agent: [");
    assert.throws(
      () => loadConfigFile(path, {}),
      (error: Error) => error instanceof ConfigError && /is not valid JSON/.test(error.message),
    );
  });

  it("says when a file does not exist", () => {
    assert.throws(
      () => loadConfigFile("/nonexistent/agent.json", {}),
      /cannot read config file \/nonexistent\/agent.json/,
    );
  });
});
