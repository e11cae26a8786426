import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../../src/config/index.js";
import { LOGICAL_IDS } from "../../../src/serverless/cloudformation-resources.js";
import { compileDeployResources } from "../../../src/serverless/hooks.js";
import { compile } from "./compile-template.js";
import { DEPLOY_CUSTOM, fakeServerless } from "./fake-serverless.js";

describe("CloudFormation resources for the Fargate poller", () => {
  it("adds the cluster, roles, log group, task definition and service (one task by default)", () => {
    const { added, get } = compile();
    assert.deepEqual(
      new Set(added),
      new Set([
        LOGICAL_IDS.cluster,
        LOGICAL_IDS.logGroup,
        LOGICAL_IDS.executionRole,
        LOGICAL_IDS.taskRole,
        LOGICAL_IDS.taskDefinition,
        LOGICAL_IDS.service,
      ]),
    );
    assert.equal(get(LOGICAL_IDS.service).Type, "AWS::ECS::Service");
    assert.equal(get(LOGICAL_IDS.service).Properties.DesiredCount, 1);
    assert.deepEqual(get(LOGICAL_IDS.service).Properties.NetworkConfiguration.AwsvpcConfiguration, {
      AssignPublicIp: "DISABLED",
      Subnets: ["subnet-1", "subnet-2"],
      SecurityGroups: ["sg-1"],
    });
    assert.equal(get(LOGICAL_IDS.taskDefinition).Type, "AWS::ECS::TaskDefinition");
    assert.equal(get(LOGICAL_IDS.logGroup).Properties.RetentionInDays, 14);
  });

  it("the task role may only invoke the functions with amqp events, each once", () => {
    assert.deepEqual(compile().statements(LOGICAL_IDS.taskRole), [
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

  it("both roles trust ECS tasks of this account only", () => {
    const { get } = compile();
    for (const id of [LOGICAL_IDS.taskRole, LOGICAL_IDS.executionRole]) {
      const [statement] = get(id).Properties.AssumeRolePolicyDocument.Statement;
      assert.deepEqual(statement.Principal, { Service: "ecs-tasks.amazonaws.com" });
      assert.deepEqual(statement.Condition, {
        StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } },
      });
    }
  });

  it("the execution role: its own log group, its own ECR repository, the broker secret; no managed policy", () => {
    const { get, statements } = compile();
    assert.equal(get(LOGICAL_IDS.executionRole).Properties.ManagedPolicyArns, undefined);
    assert.deepEqual(statements(LOGICAL_IDS.executionRole), [
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: { "Fn::GetAtt": [LOGICAL_IDS.logGroup, "Arn"] },
      },
      { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
      {
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        Resource: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
          "Fn::Sub": "arn:${AWS::Partition}:ecr:eu-west-1:123456789012:repository/amqp-lambda-agent",
        },
      },
      {
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: DEPLOY_CUSTOM.amqpLambdaAgent.brokerUrlSecret,
      },
    ]);
  });

  it("an image from another registry gets no ECR permission at all", () => {
    for (const image of ["docker.io/example/amqp-lambda-agent:0.2.0", "public.ecr.aws/example/agent:0.2.0"]) {
      const text = JSON.stringify(compile({ image }).statements(LOGICAL_IDS.executionRole));
      assert.ok(!text.includes("ecr:"), `${image}: ${text}`);
    }
  });

  it("the container: config as JSON, broker URL from the secret, read-only, no capabilities", () => {
    const { container, agentConfig } = compile();
    const definition = container();
    assert.deepEqual(definition.Secrets, [
      { Name: "AMQP_URL", ValueFrom: DEPLOY_CUSTOM.amqpLambdaAgent.brokerUrlSecret },
    ]);
    assert.equal(definition.Image, DEPLOY_CUSTOM.amqpLambdaAgent.image);
    assert.ok(!JSON.stringify(definition).includes("s3cret-pass"));
    const loaded = resolveConfig(agentConfig(), { AMQP_URL: "amqp://rabbit:5672/" });
    assert.deepEqual(
      loaded.agents.map((a) => a.name),
      ["orders", "orders-batch-0", "orders-batch-1"],
    );
    assert.equal(definition.ReadonlyRootFilesystem, true);
    assert.deepEqual(definition.LinuxParameters, { Capabilities: { Drop: ["ALL"] } });
  });

  it("the metrics port stays on loopback unless metricsPort is set; the health check uses loopback", () => {
    const closed = compile();
    assert.equal(closed.container().PortMappings, undefined);
    assert.equal(closed.agentConfig().amqp_lambda_agent.http.address, "127.0.0.1:9464");
    assert.match(closed.container().HealthCheck.Command.join(" "), /127\.0\.0\.1:9464\/healthz/);
    const open = compile({ metricsPort: true });
    assert.deepEqual(open.container().PortMappings, [{ ContainerPort: 9464, Protocol: "tcp" }]);
    assert.equal(open.agentConfig().amqp_lambda_agent.http.address, "0.0.0.0:9464");
    assert.match(open.container().HealthCheck.Command.join(" "), /127\.0\.0\.1:9464\/healthz/);
  });

  it("everything under custom.amqpLambdaAgent overrides the defaults", () => {
    const { resources, get } = compile({
      cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/shared",
      image: "registry.example/agent:1.2.3",
      desiredCount: 3,
      logRetentionInDays: 90,
      cpu: 512,
      memory: 1024,
      environment: { LOG_LEVEL: "debug" },
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

  it("with vpcId and no securityGroups: a security group of its own, outbound only", () => {
    const { securityGroups: _none, ...base } = DEPLOY_CUSTOM.amqpLambdaAgent;
    const { get } = compile({ vpcId: "vpc-0123" }, base);
    const group = get(LOGICAL_IDS.securityGroup);
    assert.equal(group.Type, "AWS::EC2::SecurityGroup");
    assert.equal(group.Properties.VpcId, "vpc-0123");
    assert.equal(group.Properties.SecurityGroupIngress, undefined, "no inbound rule");
    assert.equal(group.Properties.SecurityGroupEgress.length, 1);
    assert.deepEqual(
      get(LOGICAL_IDS.service).Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups,
      [{ "Fn::GetAtt": [LOGICAL_IDS.securityGroup, "GroupId"] }],
    );
  });

  it("given securityGroups, no security group is created", () => {
    assert.equal(compile({ vpcId: "vpc-0123" }).resources[LOGICAL_IDS.securityGroup], undefined);
  });

  it("adds nothing without amqp events, or with deploy: false", () => {
    const none = fakeServerless({ probe: {} }, DEPLOY_CUSTOM);
    assert.deepEqual(compileDeployResources(none), []);
    assert.deepEqual(none.service.provider.compiledCloudFormationTemplate.Resources, {});
    const { added } = compile({}, { deploy: false });
    assert.deepEqual(added, []);
  });

  it("refuses to deploy without a broker secret, subnets, an image, or a way to get a security group", () => {
    const { brokerUrlSecret, subnets, image, securityGroups } = DEPLOY_CUSTOM.amqpLambdaAgent;
    assert.throws(() => compile({}, { subnets, image, securityGroups }), /brokerUrlSecret is required/);
    assert.throws(
      () => compile({}, { brokerUrlSecret, image, securityGroups }),
      /custom\.amqpLambdaAgent\.subnets is required/,
    );
    assert.throws(
      () => compile({}, { brokerUrlSecret, subnets, securityGroups }),
      /custom\.amqpLambdaAgent\.image is required to deploy the agent \(build infra\/Dockerfile/,
    );
    assert.throws(
      () => compile({}, { brokerUrlSecret, subnets, image }),
      /custom\.amqpLambdaAgent\.securityGroups or custom\.amqpLambdaAgent\.vpcId is required .* egress-only security group/,
    );
  });
});
