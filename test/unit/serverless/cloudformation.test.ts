import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../../src/config/index.js";
import { brokerSecret } from "../../../src/serverless/broker-secret.js";
import { CONFIG_ENV, LOGICAL_IDS } from "../../../src/serverless/cloudformation-resources.js";
import { compileDeployResources } from "../../../src/serverless/hooks.js";
import { amqpEvent, DEPLOY_CUSTOM, fakeServerless } from "./fake-serverless.js";

// biome-ignore lint/suspicious/noExplicitAny: the tests read arbitrary CloudFormation properties
type Resource = { Type: string; Properties: Record<string, any> };

function compile(custom: Record<string, unknown> = DEPLOY_CUSTOM) {
  const serverless = fakeServerless(
    {
      orders: { events: [amqpEvent()] },
      "orders-batch": { events: [amqpEvent({ name: "orders-batch" }), amqpEvent({ name: "orders-late" })] },
      probe: {},
    },
    custom,
  );
  const added = compileDeployResources(serverless);
  const resources = serverless.service.provider.compiledCloudFormationTemplate.Resources as Record<
    string,
    Resource
  >;
  const get = (id: string) => {
    const resource = resources[id];
    assert.ok(resource, `${id} is in the template`);
    return resource;
  };
  return { added, resources, get };
}

describe("CloudFormation resources for the Fargate poller", () => {
  it("adds the cluster, roles, log group, task definition and service", () => {
    const { added, get } = compile();
    assert.deepEqual(new Set(added), new Set(Object.values(LOGICAL_IDS)));
    assert.equal(get(LOGICAL_IDS.service).Type, "AWS::ECS::Service");
    assert.equal(get(LOGICAL_IDS.service).Properties.DesiredCount, 1);
    assert.equal(get(LOGICAL_IDS.taskDefinition).Type, "AWS::ECS::TaskDefinition");
    assert.equal(get(LOGICAL_IDS.logGroup).Properties.RetentionInDays, 14);
  });

  it("the task role may only invoke the functions with amqp events, each once", () => {
    const statements = compile()
      .get(LOGICAL_IDS.taskRole)
      .Properties.Policies.flatMap(
        (policy: { PolicyDocument: { Statement: unknown[] } }) => policy.PolicyDocument.Statement,
      );
    assert.deepEqual(statements, [
      {
        Effect: "Allow",
        Action: ["lambda:InvokeFunction"],
        Resource: [
          { "Fn::GetAtt": ["OrdersLambdaFunction", "Arn"] },
          { "Fn::GetAtt": ["OrdersDashbatchLambdaFunction", "Arn"] },
        ],
      },
    ]);
  });

  it("the container gets its config as JSON and the broker URL from the secret", () => {
    const { get } = compile();
    const [container] = get(LOGICAL_IDS.taskDefinition).Properties.ContainerDefinitions;
    assert.deepEqual(container.Secrets, [
      { Name: "AMQP_URL", ValueFrom: DEPLOY_CUSTOM.amqpLambdaAgent.brokerUrlSecret },
    ]);
    const json = container.Environment.find((e: { Name: string }) => e.Name === CONFIG_ENV).Value;
    assert.ok(!json.includes("s3cret-pass"));
    const loaded = resolveConfig(JSON.parse(json), { AMQP_URL: "amqp://rabbit:5672/" });
    assert.deepEqual(
      loaded.agents.map((a) => a.name),
      ["orders", "orders-batch-0", "orders-batch-1"],
    );
    assert.match(container.HealthCheck.Command.join(" "), /127\.0\.0\.1:9464\/healthz/);
    const executionStatements = get(LOGICAL_IDS.executionRole).Properties.Policies[0].PolicyDocument
      .Statement;
    assert.deepEqual(executionStatements, [
      {
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: DEPLOY_CUSTOM.amqpLambdaAgent.brokerUrlSecret,
      },
    ]);
  });

  it("everything under custom.amqpLambdaAgent overrides the defaults", () => {
    const { resources, get } = compile({
      amqpLambdaAgent: {
        ...DEPLOY_CUSTOM.amqpLambdaAgent,
        cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/shared",
        image: "registry.example/agent:1.2.3",
        desiredCount: 3,
        logRetentionInDays: 90,
        cpu: 512,
        memory: 1024,
        environment: { LOG_LEVEL: "debug" },
      },
    });
    assert.equal(resources[LOGICAL_IDS.cluster], undefined, "an existing cluster is used, not created");
    const service = get(LOGICAL_IDS.service).Properties;
    assert.equal(service.Cluster, "arn:aws:ecs:eu-west-1:123456789012:cluster/shared");
    assert.equal(service.DesiredCount, 3);
    const task = get(LOGICAL_IDS.taskDefinition).Properties;
    assert.equal(task.Cpu, "512");
    assert.equal(task.Memory, "1024");
    assert.equal(task.ContainerDefinitions[0].Image, "registry.example/agent:1.2.3");
    assert.ok(task.ContainerDefinitions[0].Environment.some((e: { Name: string }) => e.Name === "LOG_LEVEL"));
    assert.equal(get(LOGICAL_IDS.logGroup).Properties.RetentionInDays, 90);
  });

  it("adds nothing without amqp events, or with deploy: false", () => {
    const none = fakeServerless({ probe: {} }, DEPLOY_CUSTOM);
    assert.deepEqual(compileDeployResources(none), []);
    assert.deepEqual(none.service.provider.compiledCloudFormationTemplate.Resources, {});
    const { added } = compile({ amqpLambdaAgent: { deploy: false } });
    assert.deepEqual(added, []);
  });

  it("refuses to deploy without a broker secret or subnets", () => {
    assert.throws(
      () => compile({ amqpLambdaAgent: { subnets: ["subnet-1"] } }),
      /brokerUrlSecret is required/,
    );
    assert.throws(
      () => compile({ amqpLambdaAgent: { brokerUrlSecret: "/broker-url" } }),
      /custom\.amqpLambdaAgent\.subnets is required/,
    );
  });
});

describe("brokerUrlSecret", () => {
  it("an SSM parameter name becomes the parameter's ARN", () => {
    const arn = {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/prod/amqp-url",
    };
    assert.deepEqual(brokerSecret("/prod/amqp-url"), {
      valueFrom: arn,
      statement: { Effect: "Allow", Action: ["ssm:GetParameters"], Resource: arn },
    });
  });

  it("a Secrets Manager JSON key: ECS reads the key, IAM allows the secret", () => {
    const secret = brokerSecret("arn:aws:secretsmanager:eu-west-1:123456789012:secret:broker-AbCdEf:url::");
    assert.equal(
      secret.valueFrom,
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:broker-AbCdEf:url::",
    );
    assert.equal(
      secret.statement.Resource,
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:broker-AbCdEf",
    );
  });

  it("rejects a plain URL (it would end up in the template)", () => {
    assert.throws(() => brokerSecret("amqp://user:pass@host/"), /expected a Secrets Manager secret ARN/);
  });
});
