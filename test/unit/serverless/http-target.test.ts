import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../../src/config/index.js";
import { LOGICAL_IDS } from "../../../src/serverless/cloudformation-resources.js";
import { compileDeployResources, generate } from "../../../src/serverless/hooks.js";
import { amqpEvent, DEPLOY_CUSTOM, fakeServerless } from "./fake-serverless.js";

const FUNCTION_URL = "https://abc123.lambda-url.eu-west-1.on.aws/orders?v=2";

function service() {
  return fakeServerless(
    {
      orders: { events: [amqpEvent()] },
      viaUrl: {
        events: [
          amqpEvent({
            name: "via-url",
            http: {
              url: FUNCTION_URL,
              sigv4: { region: "eu-west-1", service: "lambda" },
              forward_headers: true,
            },
          }),
        ],
      },
      webhook: {
        events: [
          amqpEvent({ name: "webhook", http: { url: "https://hooks.example.com/in", method: "PUT" } }),
        ],
      },
    },
    DEPLOY_CUSTOM,
  );
}

describe("Serverless plugin: an amqp event whose target is a URL (http)", () => {
  it("becomes an HTTP backend entry the agent's own loader accepts", () => {
    const { file } = generate(service(), "offline");
    const [, viaUrl, webhook] = file.async_agent;
    assert.deepEqual(viaUrl?.backend, [
      {
        host: ["https://abc123.lambda-url.eu-west-1.on.aws"],
        url_pattern: "/orders?v=2",
        method: "POST",
        extra_config: {
          "amqp_lambda_agent/http": { forward_headers: true },
          "auth/aws-sigv4": { region: "eu-west-1", service: "lambda" },
        },
      },
    ]);
    assert.equal((webhook?.backend as Array<{ method: string }> | undefined)?.[0]?.method, "PUT");
    const loaded = resolveConfig(file);
    assert.deepEqual(
      loaded.agents.map((agent) => agent.backends.map((b) => b.kind)),
      [["lambda"], ["http"], ["http"]],
    );
  });

  it("refuses a URL that is not http(s), an unknown http field, and Lambda fields beside an http target", () => {
    const refused = (http: unknown, extra: Record<string, unknown> = {}) =>
      assert.throws(
        () => generate(fakeServerless({ f: { events: [amqpEvent({ http, ...extra })] } }), "offline"),
        /functions\.f\.events\[0\]\.amqp\.(http|batch_size)/,
      );
    refused({ url: "ftp://example.com/x" });
    refused({ url: "https://example.com/x", verb: "POST" });
    refused({ url: "https://example.com/x" }, { batch_size: 10 });
  });

  it("the task role invokes only the Lambda-target functions and may call the signed function URL", () => {
    const serverless = service();
    compileDeployResources(serverless);
    const resources = serverless.service.provider.compiledCloudFormationTemplate.Resources as Record<
      string,
      { Properties: { Policies: Array<{ PolicyDocument: { Statement: unknown[] } }> } }
    >;
    const statements = resources[LOGICAL_IDS.taskRole]?.Properties.Policies.flatMap(
      (p) => p.PolicyDocument.Statement,
    );
    assert.deepEqual(statements, [
      {
        Effect: "Allow",
        Action: ["lambda:InvokeFunction"],
        Resource: [{ "Fn::GetAtt": ["OrdersLambdaFunction", "Arn"] }],
      },
      {
        Effect: "Allow",
        Action: ["lambda:InvokeFunctionUrl"],
        Resource: [{ "Fn::GetAtt": ["ViaUrlLambdaFunction", "Arn"] }],
      },
    ]);
  });
});
