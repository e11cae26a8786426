import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../../src/config/index.js";
import { generate } from "../../../src/serverless/hooks.js";
import { compile } from "./compile-template.js";
import { amqpEvent, fakeServerless } from "./fake-serverless.js";

const ENDPOINT = "http://otel-collector.internal:4318";

const withTracing = (tracing: unknown) =>
  fakeServerless({ orders: { events: [amqpEvent()] } }, { amqpLambdaAgent: { tracing } });

describe("custom.amqpLambdaAgent.tracing", () => {
  it("enabled, parent and settleSpans become amqp_lambda_agent.tracing, which the agent's loader reads", () => {
    const { file } = generate(withTracing({ enabled: false, parent: "link", settleSpans: true }), "offline");
    assert.deepEqual(file.amqp_lambda_agent.tracing, { enabled: false, parent: "link", settle_spans: true });
    const loaded = resolveConfig(file, {});
    assert.deepEqual(loaded.options.tracing, {
      enabled: false,
      parent: "link",
      settleSpans: true,
      krakendTelemetry: false,
    });
  });

  it("only the keys given: the agent's defaults for the rest; none without tracing", () => {
    assert.deepEqual(generate(withTracing({ parent: "link" }), "offline").file.amqp_lambda_agent.tracing, {
      parent: "link",
    });
    const untouched = fakeServerless({ orders: { events: [amqpEvent()] } });
    assert.equal(generate(untouched, "offline").file.amqp_lambda_agent.tracing, undefined);
    assert.equal(
      generate(withTracing({ environment: {} }), "offline").file.amqp_lambda_agent.tracing,
      undefined,
    );
  });

  it("the OTEL_* environment reaches the deployed container beside the config", () => {
    const { container, agentConfig } = compile({
      tracing: { environment: { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_TRACES_SAMPLER: "always_on" } },
    });
    const environment = container().Environment as Array<{ Name: string; Value: string }>;
    assert.deepEqual(
      environment.filter((variable) => variable.Name.startsWith("OTEL_")),
      [
        { Name: "OTEL_EXPORTER_OTLP_ENDPOINT", Value: ENDPOINT },
        { Name: "OTEL_TRACES_SAMPLER", Value: "always_on" },
      ],
    );
    assert.equal(agentConfig().amqp_lambda_agent.tracing, undefined);
  });

  for (const [tracing, message] of [
    [{ parent: "sibling" }, /custom\.amqpLambdaAgent\.tracing\.parent: expected one of child, link$/],
    [{ enabled: "yes" }, /custom\.amqpLambdaAgent\.tracing\.enabled: expected true or false$/],
    [
      { sampler: "always_on" },
      /custom\.amqpLambdaAgent\.tracing\.sampler: unknown key "sampler"; known keys: enabled, parent, settleSpans, environment$/,
    ],
    [
      { environment: { LOG_LEVEL: "debug" } },
      /custom\.amqpLambdaAgent\.tracing\.environment\.LOG_LEVEL: expected an OpenTelemetry variable/,
    ],
  ] as const) {
    it(`refuses ${JSON.stringify(tracing)}, naming the key`, () => {
      assert.throws(() => generate(withTracing(tracing), "offline"), message);
    });
  }
});
