import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Validations } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import { pollerStack, testConfig } from "./poller-stack.js";

// biome-ignore lint/suspicious/noExplicitAny: the tests read arbitrary CloudFormation properties
type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Action: string | string[]; Resource: unknown };

/** The test stack with `large_payload` on the orders agent and a bucket made in the stack. */
function withLargePayload() {
  let bucketId = "";
  const built = pollerStack(({ orders, refunds, stack }) => {
    const bucket = new s3.Bucket(stack, "Bodies", {
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    });
    Validations.of(bucket).acknowledge({ id: "AwsSolutions-S1", reason: "a test bucket: no access logs" });
    bucketId = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    const config = testConfig(orders, refunds);
    const agents = config.async_agent.map((agent, index) =>
      index === 0
        ? {
            ...agent,
            backend: [
              {
                extra_config: {
                  "backend/lambda": {
                    function_name: orders.functionName,
                    large_payload: { bucket: bucket.bucketName, key_prefix: "orders/" },
                  },
                },
              },
            ],
          }
        : agent,
    );
    return { config: { ...config, async_agent: agents }, largePayloadBucket: bucket };
  });
  const resources = built.template.toJSON().Resources as Record<string, Resource>;
  const statements = (roleRef: string) =>
    Object.values(resources)
      .filter((r) => r.Type === "AWS::IAM::Policy" && JSON.stringify(r.Properties.Roles).includes(roleRef))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[]);
  return { ...built, resources, bucketId, statements };
}

describe("AmqpLambdaPoller and large_payload: least privilege on the bucket, a lifecycle rule", () => {
  const { resources, bucketId, statements, stack, poller } = withLargePayload();
  const objects = { "Fn::Join": ["", [{ "Fn::GetAtt": [bucketId, "Arn"] }, "/orders/*"]] };

  it("the task role may put and delete under the key prefix only", () => {
    const taskRoleId = stack.getLogicalId(poller.taskRole.node.defaultChild as never);
    const s3Statements = statements(taskRoleId).filter((s) => JSON.stringify(s.Action).includes("s3:"));
    assert.deepEqual(
      s3Statements.map((s) => [s.Action, s.Resource]),
      [[["s3:PutObject", "s3:DeleteObject"], objects]],
    );
  });

  it("the function in the app may get there", () => {
    const read = statements("OrdersRole").filter((s) => JSON.stringify(s.Action).includes("s3:"));
    assert.deepEqual(
      read.map((s) => [s.Action, s.Resource]),
      [["s3:GetObject", objects]],
    );
  });

  it("the bucket made in the app expires what a crash leaves under the prefix after a day", () => {
    const rules = resources[bucketId]?.Properties.LifecycleConfiguration.Rules;
    assert.deepEqual(
      rules.map((r: { Prefix: string; ExpirationInDays: number; Status: string }) => [
        r.Prefix,
        r.ExpirationInDays,
        r.Status,
      ]),
      [["orders/", 1, "Enabled"]],
    );
  });

  it("without large_payload in the config nothing of S3 is granted", () => {
    const plain = pollerStack();
    assert.ok(!JSON.stringify(plain.template.toJSON()).includes("s3:"));
  });
});
