import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LOGICAL_IDS } from "../../../src/serverless/cloudformation-resources.js";
import { compileDeployResources } from "../../../src/serverless/hooks.js";
import { LARGE_PAYLOAD_IDS } from "../../../src/serverless/large-payload-resources.js";
import type { Resource, Statement } from "./compile-template.js";
import { amqpEvent, DEPLOY_CUSTOM, fakeServerless } from "./fake-serverless.js";

const objects = (path: string) => ({ "Fn::Sub": `arn:\${AWS::Partition}:s3:::${path}*` });

function compileWith(
  events: Record<string, unknown>[],
  custom: Record<string, unknown> = {},
  functionRole = true,
) {
  const serverless = fakeServerless(
    { orders: { events }, other: { events: [amqpEvent({ name: "other" })] } },
    { amqpLambdaAgent: { ...DEPLOY_CUSTOM.amqpLambdaAgent, ...custom } },
  );
  const resources = serverless.service.provider.compiledCloudFormationTemplate.Resources as Record<
    string,
    Resource
  >;
  if (functionRole) resources.IamRoleLambdaExecution = { Type: "AWS::IAM::Role", Properties: {} };
  const added = compileDeployResources(serverless);
  const taskStatements = (resources[LOGICAL_IDS.taskRole]?.Properties.Policies ?? []).flatMap(
    (policy: { PolicyDocument: { Statement: Statement[] } }) => policy.PolicyDocument.Statement,
  ) as Statement[];
  return { added, resources, taskStatements };
}

describe("the Serverless plugin and large_payload: least privilege, a lifecycle rule for orphans", () => {
  const events = [
    amqpEvent({ large_payload: { bucket: "bodies" } }),
    amqpEvent({ name: "orders-eu", large_payload: { bucket: "bodies", key_prefix: "eu/" } }),
  ];

  it("the task role may put and delete under each key prefix only; the functions may get there", () => {
    const { taskStatements, resources, added } = compileWith(events);
    const s3 = taskStatements.filter((s) => s.Action.some((a) => a.startsWith("s3:")));
    assert.deepEqual(s3, [
      {
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:DeleteObject"],
        Resource: [objects("bodies/amqp-lambda-agent/"), objects("bodies/eu/")],
      },
    ]);
    const read = resources[LARGE_PAYLOAD_IDS.readPolicy];
    assert.equal(read?.Type, "AWS::IAM::Policy");
    assert.deepEqual(read?.Properties.Roles, [{ Ref: "IamRoleLambdaExecution" }]);
    assert.deepEqual(read?.Properties.PolicyDocument.Statement, [
      {
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [objects("bodies/amqp-lambda-agent/"), objects("bodies/eu/")],
      },
    ]);
    assert.ok(added.includes(LARGE_PAYLOAD_IDS.readPolicy));
    assert.equal(resources[LARGE_PAYLOAD_IDS.bucket], undefined, "the bucket is not created unless asked");
    assert.ok(!JSON.stringify(taskStatements).includes(":::bodies/*"), "never the whole bucket");
  });

  it("largePayloadBucket.create: a private, encrypted bucket whose lifecycle rule expires each prefix", () => {
    const { resources } = compileWith(events, { largePayloadBucket: { create: true, expirationDays: 2 } });
    const bucket = resources[LARGE_PAYLOAD_IDS.bucket];
    assert.equal(bucket?.Type, "AWS::S3::Bucket");
    assert.equal(bucket?.Properties.BucketName, "bodies");
    assert.equal(bucket?.Properties.PublicAccessBlockConfiguration.BlockPublicAcls, true);
    assert.deepEqual(
      bucket?.Properties.LifecycleConfiguration.Rules.map(
        (r: { Prefix: string; ExpirationInDays: number }) => [r.Prefix, r.ExpirationInDays],
      ),
      [
        ["amqp-lambda-agent/", 2],
        ["eu/", 2],
      ],
    );
  });

  it("create with events naming two buckets is refused, naming the option", () => {
    assert.throws(
      () =>
        compileWith(
          [
            amqpEvent({ large_payload: { bucket: "a" } }),
            amqpEvent({ name: "b", large_payload: { bucket: "b" } }),
          ],
          {
            largePayloadBucket: { create: true },
          },
        ),
      /custom\.amqpLambdaAgent\.largePayloadBucket\.create: the amqp events name 2 buckets/,
    );
  });

  it("sse aws:kms with a key: the agent may encrypt with it, the functions decrypt; a key id in the bucket's region; an alias or S3's own key gets no grant", () => {
    const arn = "arn:aws:kms:eu-west-1:111122223333:key/0b7c-arn";
    const { taskStatements, resources } = compileWith([
      amqpEvent({ large_payload: { bucket: "bodies", sse: "aws:kms", kms_key_id: arn } }),
      amqpEvent({
        name: "by-id",
        large_payload: { bucket: "bodies", sse: "aws:kms", kms_key_id: "1234-id" },
      }),
      amqpEvent({
        name: "elsewhere",
        large_payload: { bucket: "bodies-us", region: "us-east-2", sse: "aws:kms", kms_key_id: "mrk-5678" },
      }),
      amqpEvent({
        name: "alias",
        large_payload: { bucket: "bodies", sse: "aws:kms", kms_key_id: "alias/bodies" },
      }),
      amqpEvent({ name: "s3-key", large_payload: { bucket: "bodies", sse: "aws:kms" } }),
    ]);
    const byId = { "Fn::Sub": `arn:\${AWS::Partition}:kms:\${AWS::Region}:\${AWS::AccountId}:key/1234-id` };
    const inUs = { "Fn::Sub": `arn:\${AWS::Partition}:kms:us-east-2:\${AWS::AccountId}:key/mrk-5678` };
    const kms = taskStatements.filter((s) => s.Action.some((a) => a.startsWith("kms:")));
    assert.deepEqual(kms, [
      { Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [arn, byId, inUs] },
    ]);
    assert.deepEqual(resources[LARGE_PAYLOAD_IDS.readPolicy]?.Properties.PolicyDocument.Statement[1], {
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [arn, byId, inUs],
    });
    const plain = compileWith(events);
    assert.ok(
      !JSON.stringify(plain.taskStatements).includes("kms:"),
      "no KMS grant without aws:kms and a key",
    );
    assert.ok(!JSON.stringify(plain.resources[LARGE_PAYLOAD_IDS.readPolicy]).includes("kms:"));
  });

  it("no large_payload: nothing added; a role of the user's own: no read policy", () => {
    const plain = compileWith([amqpEvent()]);
    assert.equal(plain.resources[LARGE_PAYLOAD_IDS.readPolicy], undefined);
    assert.ok(!JSON.stringify(plain.taskStatements).includes("s3:"));
    const ownRole = compileWith(events, {}, false);
    assert.equal(ownRole.resources[LARGE_PAYLOAD_IDS.readPolicy], undefined);
  });
});
