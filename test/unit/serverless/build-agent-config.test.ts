import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../../src/config/index.js";
import { TIMEOUT_MARGIN_S } from "../../../src/serverless/function-timeout.js";
import { generate, offlineEndpoint, printConfig } from "../../../src/serverless/hooks.js";
import { amqpEvent, BROKER, fakeServerless } from "./fake-serverless.js";

const agentsOf = (file: { async_agent: Array<Record<string, unknown>> }) =>
  file.async_agent.map((agent) => agent.name);

describe("agent config generated from amqp events", () => {
  const serverless = fakeServerless({
    orders: {
      events: [
        amqpEvent({
          prefetch_count: 20,
          workers: 4,
          timeout: "10s",
          max_retries: 5,
          backoff_strategy: "exponential",
          connection: { max_retries: 7 },
          durable: true,
          queue_arguments: { "x-queue-type": "quorum", "x-delivery-limit": 5 },
        }),
        { http: { path: "/orders", method: "post" } },
      ],
    },
    refunds: {
      events: [
        amqpEvent({ name: "refunds", batch_size: 10, batch_window: "200ms" }),
        amqpEvent({ name: "refunds-body", event_format: "body" }),
      ],
    },
    probe: {},
  });

  it("makes one agent per amqp event, named after the function (plus index when it has several)", () => {
    const { file } = generate(serverless, "offline");
    assert.deepEqual(agentsOf(file), ["orders", "refunds-0", "refunds-1"]);
  });

  it("invokes the deployed function names in the provider's region", () => {
    const loaded = resolveConfig(generate(serverless, "fargate").file, { AMQP_URL: BROKER });
    assert.deepEqual(
      loaded.agents.map((agent) => [agent.lambda?.functionName, agent.lambda?.region]),
      [
        ["shop-dev-orders", "eu-west-1"],
        ["shop-dev-refunds", "eu-west-1"],
        ["shop-dev-refunds", "eu-west-1"],
      ],
    );
  });

  it("sorts the flat fields into async/amqp, consumer, connection and backend/lambda", () => {
    const [orders, refunds, body] = resolveConfig(generate(serverless, "offline").file, {}).agents;
    assert.ok(orders && refunds && body);
    assert.equal(orders.amqp.prefetchCount, 20);
    assert.equal(orders.consumer.workers, 4);
    assert.equal(orders.consumer.timeoutMs, 10_000);
    assert.deepEqual(orders.amqp.bindings, [{ routingKey: "order.*", arguments: {} }]);
    assert.equal(orders.lambda?.maxRetries, 5, "flat max_retries is the Lambda invoke retries");
    assert.equal(orders.connection.maxRetries, 7, "connection.max_retries is the reconnect limit");
    assert.equal(orders.connection.backoffStrategy, "exponential");
    assert.deepEqual(orders.amqp.queueArguments, { "x-queue-type": "quorum", "x-delivery-limit": 5 });
    assert.equal(refunds.lambda?.batchSize, 10);
    assert.equal(refunds.lambda?.batchWindowMs, 200);
    assert.equal(body.lambda?.eventFormat, "body");
  });

  it("offline: invokes serverless-offline's Invoke API (custom lambdaPort, command line first)", () => {
    const withPort = fakeServerless(
      { orders: { events: [amqpEvent()] } },
      { "serverless-offline": { lambdaPort: "3922" } },
    );
    assert.equal(offlineEndpoint(withPort, {}), "http://127.0.0.1:3922");
    assert.equal(offlineEndpoint(withPort, { lambdaPort: 4000 }), "http://127.0.0.1:4000");
    assert.equal(offlineEndpoint(fakeServerless({}), {}), "http://127.0.0.1:3002");
    const [agent] = resolveConfig(generate(withPort, "offline").file, {}).agents;
    assert.equal(agent?.lambda?.endpoint, "http://127.0.0.1:3922");
    assert.deepEqual(agent?.amqp.urls, [BROKER]);
  });

  it("fargate: broker URL from the AMQP_URL placeholder, health server on loopback 9464", () => {
    const { file } = generate(serverless, "fargate");
    const text = JSON.stringify(file);
    assert.ok(!text.includes("s3cret-pass"), "the broker password must not be in the container config");
    const loaded = resolveConfig(file, { AMQP_URL: "amqp://u:p@rabbit:5672/" });
    assert.ok(loaded.agents.every((agent) => agent.amqp.urls[0] === "amqp://u:p@rabbit:5672/"));
    assert.ok(loaded.agents.every((agent) => agent.lambda?.endpoint === undefined));
    const { enabled, host, port } = loaded.options.http;
    assert.deepEqual({ enabled, host, port }, { enabled: true, host: "127.0.0.1", port: 9464 });
  });

  it("custom.amqpLambdaAgent.host is the broker of events without their own host", () => {
    const { host: _omitted, ...fields } = amqpEvent().amqp as Record<string, unknown>;
    const withDefault = fakeServerless(
      { orders: { events: [{ amqp: fields }] } },
      { amqpLambdaAgent: { host: "amqp://default-broker:5672/" } },
    );
    const [agent] = resolveConfig(generate(withDefault, "offline").file, {}).agents;
    assert.deepEqual(agent?.amqp.urls, ["amqp://default-broker:5672/"]);
  });

  it("print redacts the broker password", () => {
    const text = printConfig(serverless, {});
    assert.ok(!text.includes("s3cret-pass"));
    assert.match(text, /amqp:\/\/app:\*\*\*@broker\.example:5672\//);
    assert.doesNotThrow(() => JSON.parse(text));
  });

  it("a service without amqp events generates nothing", () => {
    const none = fakeServerless({ probe: {}, api: { events: [{ http: "GET /" }] } });
    assert.deepEqual(generate(none, "offline").events, []);
    assert.equal(printConfig(none, {}), "no function has an amqp event");
  });
});

describe("consumer.timeout from the function's own timeout", () => {
  const timeouts = (serverless: ReturnType<typeof fakeServerless>) =>
    resolveConfig(generate(serverless, "offline").file, {}).agents.map((agent) => [
      agent.name,
      agent.consumer.timeoutMs,
    ]);

  it("function timeout, else provider timeout, else the Framework's 6 s; plus a 10 s margin", () => {
    assert.equal(TIMEOUT_MARGIN_S, 10);
    const withProvider = fakeServerless(
      {
        slow: { timeout: 3, events: [amqpEvent({ name: "slow" })] },
        inherits: { events: [amqpEvent({ name: "inherits" })] },
      },
      {},
      { timeout: 20 },
    );
    assert.deepEqual(timeouts(withProvider), [
      ["slow", 13_000],
      ["inherits", 30_000],
    ]);
    const bare = fakeServerless({ plain: { events: [amqpEvent({ name: "plain" })] } });
    assert.deepEqual(timeouts(bare), [["plain", 16_000]]);
  });

  it("a timeout written in the event wins", () => {
    const serverless = fakeServerless({ slow: { timeout: 30, events: [amqpEvent({ timeout: "5s" })] } });
    assert.deepEqual(timeouts(serverless), [["slow", 5_000]]);
  });

  it("amqp-agent print shows it", () => {
    const serverless = fakeServerless({ slow: { timeout: 3, events: [amqpEvent()] } });
    const printed = JSON.parse(printConfig(serverless, {}));
    assert.equal(printed.async_agent[0].consumer.timeout, "13s");
    const fargate = JSON.parse(printConfig(serverless, { target: "fargate" }));
    assert.equal(fargate.async_agent[0].consumer.timeout, "13s");
  });

  it("a timeout that is not a number of seconds fails at its place", () => {
    const serverless = fakeServerless({ slow: { timeout: "soon", events: [amqpEvent()] } });
    assert.throws(
      () => generate(serverless, "offline"),
      /^Error: functions\.slow\.timeout: expected the function's timeout in seconds, got "soon"$/,
    );
  });
});

describe("reply on an amqp event", () => {
  it("goes to async/amqp.reply", () => {
    const serverless = fakeServerless({
      quotes: {
        events: [
          amqpEvent({
            reply: { mode: "exchange", exchange: "results", routing_key: "quote.{{routing_key}}" },
          }),
        ],
      },
    });
    const [agent] = resolveConfig(generate(serverless, "offline").file, {}).agents;
    assert.equal(agent?.amqp.reply?.mode, "exchange");
    assert.equal(agent?.amqp.reply?.exchange, "results");
    assert.equal(agent?.amqp.reply?.routingKeyTemplate, "quote.{{routing_key}}");
  });

  it("an invalid reply fails at the event's place", () => {
    const serverless = fakeServerless({ quotes: { events: [amqpEvent({ reply: { mode: "exchange" } })] } });
    assert.throws(
      () => generate(serverless, "offline"),
      /functions\.quotes\.events\[0\]\.amqp\.reply\.exchange: mode "exchange" needs the results exchange/,
    );
  });
});
