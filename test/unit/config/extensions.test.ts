import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../../src/config/index.js";
import { ConfigError } from "../../../src/errors.js";
import { file, seedAgent } from "./fixtures.js";

const resolve = (overrides: Parameters<typeof seedAgent>[0], env: NodeJS.ProcessEnv = {}) => {
  const [agent] = resolveConfig(file(seedAgent(overrides)), env).agents;
  assert.ok(agent);
  return agent;
};

function rejects(overrides: Parameters<typeof seedAgent>[0], expected: RegExp): void {
  assert.throws(
    () => resolveConfig(file(seedAgent(overrides)), {}),
    (error: Error) => error instanceof ConfigError && expected.test(error.message),
  );
}

describe("host lists (cluster nodes)", () => {
  it("takes one URL (KrakenD's form) or a list", () => {
    assert.deepEqual(resolve({ amqp: { host: "amqp://a:1@n1:5672/" } }).amqp.urls, ["amqp://a:1@n1:5672/"]);
    const urls = ["amqp://u:p1@n1:5672/", "amqp://v:p2@n2:5673/"];
    assert.deepEqual(resolve({ amqp: { host: urls } }).amqp.urls, urls);
  });

  it("every URL's password is a secret, and nothing else", () => {
    const { secrets } = resolveConfig(
      file(seedAgent({ amqp: { host: ["amqp://u:first-pw@n1/", "amqp://v:second-pw@n2/", "amqp://n3/"] } })),
      {},
    );
    assert.deepEqual(secrets.sort(), ["first-pw", "second-pw"]);
  });

  it("rejects an empty list and a non-AMQP entry, naming the entry", () => {
    rejects({ amqp: { host: [] } }, /host: .*list at least one URL|host: expected an AMQP URL/);
    rejects({ amqp: { host: ["amqp://n1/", "http://n2/"] } }, /host(\[1\])?: expected an AMQP URL/);
  });
});

describe("exchange types and bindings", () => {
  it("topic by default: consumer.topic is the first binding, then bindings", () => {
    const agent = resolve({
      amqp: { bindings: [{ routing_key: "refund.*" }, { routing_key: "invoice.#", arguments: { _x: 1 } }] },
    });
    assert.equal(agent.amqp.exchangeType, "topic");
    assert.deepEqual(agent.amqp.bindings, [
      { routingKey: "*", arguments: {} },
      { routingKey: "refund.*", arguments: {} },
      { routingKey: "invoice.#", arguments: { _x: 1 } },
    ]);
  });

  it("fanout may go without a topic", () => {
    const agent = resolve({ amqp: { exchange_type: "fanout" }, agent: { consumer: { workers: 1 } } });
    assert.deepEqual(agent.amqp.bindings, [{ routingKey: "", arguments: {} }]);
  });

  it("headers binds by arguments only; a topic or an argument-less binding is refused", () => {
    const binding = { arguments: { "x-match": "all", type: "order", _tenant: "a" } };
    const agent = resolve({
      amqp: { exchange_type: "headers", bindings: [binding] },
      agent: { consumer: { workers: 1 } },
    });
    assert.deepEqual(
      agent.amqp.bindings,
      [{ routingKey: "", arguments: binding.arguments }],
      "_tenant is kept",
    );
    rejects(
      { amqp: { exchange_type: "headers", bindings: [binding] } },
      /consumer\.topic: a headers exchange/,
    );
    rejects(
      { amqp: { exchange_type: "headers", bindings: [{ arguments: {} }] }, agent: { consumer: {} } },
      /bindings\[0\]\.arguments: a headers binding without arguments matches every message/,
    );
    rejects(
      { amqp: { exchange_type: "headers" }, agent: { consumer: {} } },
      /bindings: a headers exchange needs at least one binding/,
    );
  });

  it("topic and direct still need consumer.topic", () => {
    rejects({ amqp: { exchange_type: "direct" }, agent: { consumer: {} } }, /consumer\.topic: is required/);
  });

  it("declare: false is kept; an unknown exchange type is refused", () => {
    assert.equal(resolve({ amqp: { declare: false } }).amqp.declare, false);
    rejects(
      { amqp: { exchange_type: "x-delayed" } },
      /exchange_type: expected one of "topic", "direct", "fanout", "headers"/,
    );
  });
});

describe("retry_delays", () => {
  it("names a retry queue per delay and binds it on the agent's exchange", () => {
    const agent = resolve({ amqp: { retry_delays: ["10s", "1m30s", "2h"] } });
    assert.deepEqual(agent.amqp.retrySteps, [
      { delayMs: 10_000, queue: "krakend.retry.10s", routingKey: "retry.10s" },
      { delayMs: 90_000, queue: "krakend.retry.1m30s", routingKey: "retry.1m30s" },
      { delayMs: 7_200_000, queue: "krakend.retry.2h", routingKey: "retry.2h" },
    ]);
  });

  it("each delay is at least 1 s and at most 24 days; allowed with auto_ack", () => {
    rejects({ amqp: { retry_delays: ["500ms"] } }, /retry_delays\[0\]: must be at least 1s/);
    rejects({ amqp: { retry_delays: ["1s", "25d"] } }, /retry_delays\[1\]: expected a duration/);
    rejects({ amqp: { retry_delays: ["1s", "600h"] } }, /retry_delays\[1\]: must be at most 24 days/);
    assert.equal(resolve({ amqp: { retry_delays: ["2s"], auto_ack: true } }).amqp.retrySteps.length, 1);
  });
});

describe("order_key", () => {
  it("reads the three forms", () => {
    const key = (order_key: string) =>
      resolve({ agent: { consumer: { topic: "*", order_key } } }).consumer.orderKey;
    assert.deepEqual(key("routing_key"), { from: "routing_key" });
    assert.deepEqual(key("header:customer-id"), { from: "header", name: "customer-id" });
    assert.deepEqual(key("body:customer.id"), { from: "body", path: ["customer", "id"] });
  });

  it("refuses anything else with the forms it takes", () => {
    for (const bad of ["customer", "header:", "body:a..b", "body:"]) {
      rejects(
        { agent: { consumer: { topic: "*", order_key: bad } } },
        /consumer\.order_key: expected "routing_key", "header:<name>" or "body:<dotted\.path>"/,
      );
    }
  });
});

describe("filter_patterns", () => {
  it("are validated when the config loads, naming the path of the bad operator", () => {
    rejects(
      { lambda: { filter_patterns: [{ data: { amount: [{ numerc: [">", 1] }] } }] } },
      /\["backend\/lambda"\]\.filter_patterns\[0\]\.data\.amount\[0\]: unknown operator "numerc"/,
    );
  });

  it("keep their $or and _-prefixed keys (KrakenD's comment keys are stripped everywhere else)", () => {
    const patterns = [{ $or: [{ data: { _kind: ["a"] } }, { routingKey: [{ prefix: "order." }] }] }];
    const agent = resolve({ lambda: { filter_patterns: patterns, "@comment": "dropped" } });
    assert.deepEqual(agent.lambda?.filterPatterns, patterns);
  });
});

describe("circuit breaker, consumer_timeout, client", () => {
  it("has documented defaults and takes overrides", () => {
    const agent = resolve({
      amqp: {
        consumer_timeout: "15m",
        circuit_breaker: { failure_threshold: 3, probe_interval: "2s", max_probe_interval: "1m" },
      },
      lambda: { client: "sdk" },
    });
    assert.equal(agent.amqp.consumerTimeoutMs, 900_000);
    assert.equal(agent.amqp.circuitBreaker.failureThreshold, 3);
    assert.equal(agent.amqp.circuitBreaker.probeIntervalMs, 2000);
    assert.equal(agent.amqp.circuitBreaker.maxProbeIntervalMs, 60_000);
    assert.equal(agent.lambda?.client, "sdk");
  });

  it("refuses a misspelt breaker key with a suggestion", () => {
    rejects({ amqp: { circuit_breaker: { probe_intervall: "1s" } } }, /did you mean "probe_interval"\?/);
  });
});

describe("rules that span fields", () => {
  it("auto_ack with delete: true is refused (pausing would delete the queue)", () => {
    rejects(
      { amqp: { auto_ack: true, delete: true } },
      /\.delete: auto_ack with delete: true cannot be paused safely/,
    );
  });

  it("a quorum queue must be durable, not auto-delete, not exclusive", () => {
    rejects(
      { amqp: { durable: false, queue_arguments: { "x-queue-type": "quorum" } } },
      /quorum queue must be durable and neither auto-delete nor exclusive/,
    );
    assert.equal(
      resolve({ amqp: { durable: true, queue_arguments: { "x-queue-type": "quorum" } } }).amqp.durable,
      true,
    );
  });

  it("the agent's exchange and queues must not be the consumed ones", () => {
    rejects(
      { amqp: { agent_exchange: "foo" } },
      /agent_exchange: the agent publishes dead letters and retries/,
    );
    rejects({ amqp: { dead_letter_queue: "krakend" } }, /"krakend" is the queue the agent consumes/);
  });
});

describe("amqp_lambda_agent options", () => {
  it("http.unhealthy_after and emf have defaults", () => {
    const { options } = resolveConfig(file(seedAgent()), {});
    assert.equal(options.http.unhealthyAfterMs, 300_000);
    assert.deepEqual(options.emf, {
      enabled: "auto",
      namespace: "AmqpLambdaAgent",
      service: undefined,
      intervalMs: 60_000,
    });
  });

  it("http.address port 0 picks a free port; a bad address names the field", () => {
    const raw = { ...file(seedAgent()), amqp_lambda_agent: { http: { address: "127.0.0.1:0" } } };
    assert.equal(resolveConfig(raw, {}).options.http.port, 0);
    assert.throws(
      () => resolveConfig({ ...file(seedAgent()), amqp_lambda_agent: { http: { address: "nope" } } }, {}),
      /amqp_lambda_agent\.http\.address: expected "host:port"/,
    );
  });
});

describe("a host list in one string (a broker secret holding a JSON array)", () => {
  it("is read as the list; commas in passwords are fine", () => {
    const list = JSON.stringify(["amqp://u:pa,ss@n1:5672/", "amqp://u:pa,ss@n2:5672/"]);
    const agent = resolve({ amqp: { host: '{{ env "AMQP_URL" }}' } }, { AMQP_URL: list });
    assert.deepEqual(agent.amqp.urls, ["amqp://u:pa,ss@n1:5672/", "amqp://u:pa,ss@n2:5672/"]);
  });
});
