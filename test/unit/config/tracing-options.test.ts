import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../../src/config/index.js";
import { ConfigError } from "../../../src/errors.js";
import { file, seedAgent } from "./fixtures.js";

const withOptions = (options: unknown, extra: Record<string, unknown> = {}) => ({
  ...file(seedAgent()),
  amqp_lambda_agent: options,
  ...extra,
});

describe("amqp_lambda_agent.tracing", () => {
  it("on by default: parent child, no settle spans, no KrakenD telemetry block", () => {
    assert.deepEqual(resolveConfig(file(seedAgent()), {}).options.tracing, {
      enabled: true,
      parent: "child",
      settleSpans: false,
      krakendTelemetry: false,
    });
  });

  it("reads enabled, parent and settle_spans", () => {
    const raw = withOptions({ tracing: { enabled: false, parent: "link", settle_spans: true } });
    assert.deepEqual(resolveConfig(raw, {}).options.tracing, {
      enabled: false,
      parent: "link",
      settleSpans: true,
      krakendTelemetry: false,
    });
  });

  for (const [tracing, path] of [
    [{ parent: "sibling" }, "amqp_lambda_agent.tracing.parent"],
    [{ enabled: "yes" }, "amqp_lambda_agent.tracing.enabled"],
    [{ sampler: "always_on" }, "amqp_lambda_agent.tracing"],
  ] as const) {
    it(`refuses ${JSON.stringify(tracing)} at ${path}`, () => {
      assert.throws(
        () => resolveConfig(withOptions({ tracing }), {}),
        (error: unknown) => error instanceof ConfigError && error.message.startsWith(path),
      );
    });
  }

  it("accepts KrakenD's telemetry/opentelemetry block and flags it (the agent reads OTEL_* instead)", () => {
    const raw = withOptions(undefined, {
      extra_config: {
        "telemetry/opentelemetry": { exporters: { otlp: [{ name: "x", host: "collector" }] } },
      },
    });
    assert.equal(resolveConfig(raw, {}).options.tracing.krakendTelemetry, true);
  });
});
