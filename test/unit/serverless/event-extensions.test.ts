import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../../src/config/index.js";
import { generate, printConfig } from "../../../src/serverless/hooks.js";
import { amqpEvent, fakeServerless } from "./fake-serverless.js";

describe("amqp events take every agent extension", () => {
  it("exchange type, bindings, declare, filter patterns (as YAML objects), order key, retry delays, breaker", () => {
    const patterns = [
      { data: { kind: ["order"] } },
      { $or: [{ routingKey: [{ prefix: "vip." }] }, { basicProperties: { headers: { _tier: ["gold"] } } }] },
    ];
    const serverless = fakeServerless({
      orders: {
        events: [
          amqpEvent({
            exchange_type: "headers",
            topic: undefined,
            bindings: [{ arguments: { "x-match": "any", _tenant: "a", type: "order" } }],
            declare: false,
            filter_patterns: patterns,
            order_key: "body:customer.id",
            retry_delays: ["10s", "1m"],
            circuit_breaker: { failure_threshold: 3 },
          }),
        ],
      },
    });
    const [agent] = resolveConfig(generate(serverless, "offline").file, {}).agents;
    assert.ok(agent);
    assert.equal(agent.amqp.exchangeType, "headers");
    assert.deepEqual(agent.amqp.bindings, [
      { routingKey: "", arguments: { "x-match": "any", _tenant: "a", type: "order" } },
    ]);
    assert.equal(agent.amqp.declare, false);
    assert.deepEqual(agent.lambda?.filterPatterns, patterns, "$or and _-keys reach the agent unchanged");
    assert.deepEqual(agent.consumer.orderKey, { from: "body", path: ["customer", "id"] });
    assert.deepEqual(
      agent.amqp.retrySteps.map((step) => step.delayMs),
      [10_000, 60_000],
    );
    assert.equal(agent.amqp.circuitBreaker.failureThreshold, 3);
  });

  it("a bad filter pattern fails at the event's place", () => {
    const serverless = fakeServerless({
      orders: { events: [amqpEvent({ filter_patterns: [{ data: { n: [{ numeric: ["~", 1] }] } }] })] },
    });
    assert.throws(
      () => generate(serverless, "offline"),
      /functions\.orders\.events\[0\]\.amqp\.filter_patterns\[0\]\.data\.n\[0\]\.numeric/,
    );
  });

  it("a host list: kept as a list, every password redacted by print", () => {
    const hosts = ["amqp://u:first-secret@n1:5672/", "amqp://u:second-secret@n2:5672/"];
    const serverless = fakeServerless({ orders: { events: [amqpEvent({ host: hosts })] } });
    const [agent] = resolveConfig(generate(serverless, "offline").file, {}).agents;
    assert.deepEqual(agent?.amqp.urls, hosts);
    const printed = printConfig(serverless, {});
    assert.doesNotMatch(printed, /first-secret|second-secret/);
    assert.match(printed, /amqp:\/\/u:\*\*\*@n1:5672\//);
    assert.match(printed, /amqp:\/\/u:\*\*\*@n2:5672\//);
  });
});
