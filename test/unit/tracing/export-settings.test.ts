import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as conventions from "@opentelemetry/semantic-conventions/incubating";
import { KRAKEND_TELEMETRY_NOTE } from "../../../src/config/krakend-telemetry.js";
import { exportSettingsFromEnv } from "../../../src/tracing/export-settings.js";
import {
  ERROR_TYPE_ATTRIBUTE,
  FAAS_ATTRIBUTES,
  FAAS_PROVIDER_AWS,
  HTTP_CLIENT_ATTRIBUTES,
  MESSAGING_ATTRIBUTES,
  MESSAGING_OPERATION_PROCESS,
  MESSAGING_OPERATION_SETTLE,
  MESSAGING_SYSTEM_RABBITMQ,
} from "../../../src/tracing/span-attributes.js";

const BASE = "http://collector:4318";

describe("export settings from the OTEL_* variables", () => {
  it("no endpoint: no export, nothing to say", () => {
    assert.deepEqual(exportSettingsFromEnv({}), { settings: undefined, notes: [] });
    assert.deepEqual(exportSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "  " }).settings, undefined);
  });

  it("a base endpoint gets /v1/traces; the traces endpoint is used as is; defaults", () => {
    assert.deepEqual(exportSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: BASE }).settings, {
      url: `${BASE}/v1/traces`,
      protocol: "http/protobuf",
      serviceName: "amqp-lambda-agent",
      sampler: "parentbased_always_on",
      samplerRatio: 1,
    });
    assert.equal(
      exportSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: `${BASE}/otlp/` }).settings?.url,
      `${BASE}/otlp/v1/traces`,
    );
    const both = {
      OTEL_EXPORTER_OTLP_ENDPOINT: BASE,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://x/custom",
    };
    assert.equal(exportSettingsFromEnv(both).settings?.url, "https://x/custom");
  });

  it("reads protocol (traces-specific first), service name, sampler and its ratio", () => {
    const { settings, notes } = exportSettingsFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: BASE,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
      OTEL_SERVICE_NAME: "orders-agent",
      OTEL_TRACES_SAMPLER: "ParentBased_TraceIdRatio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
    });
    assert.deepEqual(notes, []);
    assert.deepEqual(settings, {
      url: `${BASE}/v1/traces`,
      protocol: "http/json",
      serviceName: "orders-agent",
      sampler: "parentbased_traceidratio",
      samplerRatio: 0.25,
    });
  });

  const off: [string, Record<string, string>, RegExp | undefined][] = [
    ["OTEL_SDK_DISABLED=true", { OTEL_SDK_DISABLED: "TRUE" }, undefined],
    ["OTEL_TRACES_EXPORTER=none", { OTEL_TRACES_EXPORTER: "none" }, undefined],
    ["another exporter", { OTEL_TRACES_EXPORTER: "zipkin" }, /only otlp/],
    ["grpc", { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }, /grpc is not supported/],
    ["a URL that is not http", { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "ftp://x" }, /not an http/],
  ];
  for (const [what, env, note] of off) {
    it(`${what}: no export${note ? ", and a note" : ""}`, () => {
      const decision = exportSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: BASE, ...env });
      assert.equal(decision.settings, undefined);
      if (note) assert.match(decision.notes.join("\n"), note);
      else assert.deepEqual(decision.notes, []);
    });
  }

  it("an unknown sampler or a bad ratio: the default, with a note", () => {
    const unknown = exportSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: BASE, OTEL_TRACES_SAMPLER: "xray" });
    assert.equal(unknown.settings?.sampler, "parentbased_always_on");
    assert.match(unknown.notes.join(), /xray is not supported/);
    const ratio = exportSettingsFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: BASE,
      OTEL_TRACES_SAMPLER: "traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "2",
    });
    assert.equal(ratio.settings?.samplerRatio, 1);
    assert.match(ratio.notes.join(), /not a ratio/);
  });

  it("the note for KrakenD's telemetry block names the variables that apply instead", () => {
    assert.match(KRAKEND_TELEMETRY_NOTE, /"telemetry\/opentelemetry" is accepted and ignored/);
    assert.match(KRAKEND_TELEMETRY_NOTE, /OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});

describe("span attribute names are the semantic conventions' own", () => {
  it("messaging (RabbitMQ), FaaS, HTTP client, error", () => {
    assert.deepEqual(MESSAGING_ATTRIBUTES, {
      system: conventions.ATTR_MESSAGING_SYSTEM,
      destinationName: conventions.ATTR_MESSAGING_DESTINATION_NAME,
      routingKey: conventions.ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY,
      deliveryTag: conventions.ATTR_MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG,
      messageId: conventions.ATTR_MESSAGING_MESSAGE_ID,
      conversationId: conventions.ATTR_MESSAGING_MESSAGE_CONVERSATION_ID,
      batchMessageCount: conventions.ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
      operationType: conventions.ATTR_MESSAGING_OPERATION_TYPE,
      operationName: conventions.ATTR_MESSAGING_OPERATION_NAME,
    });
    assert.equal(MESSAGING_SYSTEM_RABBITMQ, conventions.MESSAGING_SYSTEM_VALUE_RABBITMQ);
    assert.equal(MESSAGING_OPERATION_PROCESS, conventions.MESSAGING_OPERATION_TYPE_VALUE_PROCESS);
    assert.equal(MESSAGING_OPERATION_SETTLE, conventions.MESSAGING_OPERATION_TYPE_VALUE_SETTLE);
    assert.deepEqual(FAAS_ATTRIBUTES, {
      invokedName: conventions.ATTR_FAAS_INVOKED_NAME,
      invokedProvider: conventions.ATTR_FAAS_INVOKED_PROVIDER,
      awsRequestId: conventions.ATTR_AWS_REQUEST_ID,
    });
    assert.equal(FAAS_PROVIDER_AWS, conventions.FAAS_INVOKED_PROVIDER_VALUE_AWS);
    assert.deepEqual(HTTP_CLIENT_ATTRIBUTES, {
      requestMethod: conventions.ATTR_HTTP_REQUEST_METHOD,
      serverAddress: conventions.ATTR_SERVER_ADDRESS,
      urlFull: conventions.ATTR_URL_FULL,
      responseStatusCode: conventions.ATTR_HTTP_RESPONSE_STATUS_CODE,
    });
    assert.equal(ERROR_TYPE_ATTRIBUTE, conventions.ATTR_ERROR_TYPE);
  });
});
