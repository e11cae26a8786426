import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Match } from "aws-cdk-lib/assertions";
import { pollerStack, testConfig } from "./poller-stack.js";

const ENDPOINT = "http://otel-collector.internal:4318";

describe("AmqpLambdaPoller: tracing", () => {
  it("tracingEnvironment reaches the container; config.amqp_lambda_agent.tracing reaches the agent", () => {
    const { template } = pollerStack(({ orders, refunds }) => ({
      config: {
        ...testConfig(orders, refunds),
        amqp_lambda_agent: { tracing: { enabled: true, parent: "link", settle_spans: true } },
      },
      tracingEnvironment: { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_SERVICE_NAME: "orders-poller" },
    }));
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: "OTEL_EXPORTER_OTLP_ENDPOINT", Value: ENDPOINT },
            { Name: "OTEL_SERVICE_NAME", Value: "orders-poller" },
          ]),
        }),
      ],
    });
    const definitions = template.findResources("AWS::ECS::TaskDefinition");
    const text = JSON.stringify(definitions);
    assert.match(
      text,
      /\\"tracing\\":\{\\"enabled\\":true,\\"parent\\":\\"link\\",\\"settle_spans\\":true\}/,
    );
  });

  it("refuses a tracing setting the agent would refuse, with the loader's path", () => {
    assert.throws(
      () =>
        pollerStack(({ orders, refunds }) => ({
          config: { ...testConfig(orders, refunds), amqp_lambda_agent: { tracing: { parent: "sibling" } } },
        })),
      { message: /^AmqpLambdaPoller: config\.amqp_lambda_agent\.tracing\.parent: / },
    );
  });

  it("refuses a tracingEnvironment variable that is not an OpenTelemetry one", () => {
    for (const name of ["AMQP_URL", "otel_service_name", "LOG_LEVEL"]) {
      assert.throws(() => pollerStack(() => ({ tracingEnvironment: { [name]: "x" } })), {
        message: new RegExp(
          `^AmqpLambdaPoller: tracingEnvironment\\.${JSON.stringify(name)}: expected an OpenTelemetry variable`,
        ),
      });
    }
  });
});
