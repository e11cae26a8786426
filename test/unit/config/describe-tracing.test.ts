import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TracingConfig } from "../../../src/config/types.js";
import { describeTracing } from "../../../src/describe-tracing.js";

const ON: TracingConfig = { enabled: true, parent: "child", settleSpans: false, krakendTelemetry: false };

describe("validate: the tracing lines", () => {
  it("on, no endpoint: propagation only, and how to export", () => {
    const text = describeTracing(ON, {});
    assert.match(text, /^tracing +on: W3C trace context .*\(parent child, settle spans no\)/);
    assert.match(text, /export +none: spans are not recorded \(set OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it("on, with the OTEL_* variables: where spans go (password masked, headers never shown), and what was ignored", () => {
    const text = describeTracing(
      { ...ON, parent: "link", settleSpans: true },
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: "https://user:otlp-secret-1@collector.example:4318",
        OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer header-secret-2",
        OTEL_SERVICE_NAME: "orders-poller",
        OTEL_TRACES_SAMPLER: "traceidratio",
        OTEL_TRACES_SAMPLER_ARG: "2",
      },
    );
    assert.match(text, /\(parent link, settle spans yes\)/);
    assert.match(
      text,
      /export +OTLP http\/protobuf to https:\/\/user:\*+@collector\.example:4318\/v1\/traces as service "orders-poller", sampler traceidratio 1/,
    );
    assert.match(text, /note +OTEL_TRACES_SAMPLER_ARG=2 is not a ratio/);
    assert.ok(!text.includes("otlp-secret-1") && !text.includes("header-secret-2"), text);
  });

  it("off: says so, and nothing about export", () => {
    const text = describeTracing({ ...ON, enabled: false }, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" });
    assert.match(text, /^tracing +off \(amqp_lambda_agent\.tracing\.enabled: false\)/);
    assert.ok(!text.includes("export"), text);
  });

  it("KrakenD's telemetry/opentelemetry block: accepted and ignored, said once", () => {
    const text = describeTracing({ ...ON, krakendTelemetry: true }, {});
    assert.equal(text.split("telemetry/opentelemetry").length - 1, 1, text);
  });
});
