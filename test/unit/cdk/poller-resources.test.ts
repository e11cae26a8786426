import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Match } from "aws-cdk-lib/assertions";
import { WORK_PER_TASK_EXPRESSION } from "../../../src/deploy/work-per-task-scaling.js";
import {
  BROKER_SECRET_ARN,
  PASSWORD_SECRET_ARN,
  PRIVATE_SUBNETS,
  pollerStack,
  REFUNDS_ARN,
} from "./poller-stack.js";

// biome-ignore lint/suspicious/noExplicitAny: the tests read arbitrary CloudFormation properties
type Properties = Record<string, any>;
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const started = performance.now();
const built = pollerStack();
const synthMs = performance.now() - started;
const { template, stack, poller, orders } = built;
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Properties }>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const only = (type: string): [string, Properties] => {
  const found = ofType(type);
  assert.equal(found.length, 1, `one ${type}: ${found.map(([id]) => id).join(", ")}`);
  const [id, resource] = found[0] ?? ["", { Properties: {} }];
  return [id, resource.Properties];
};
const container = () => only("AWS::ECS::TaskDefinition")[1].ContainerDefinitions[0];
const resolved = (value: unknown) => stack.resolve(value);
const statementsOf = (policyDocuments: Array<{ Statement: Statement[] }>) =>
  policyDocuments.flatMap((document) => document.Statement);
/** Every IAM statement of the stack: roles' inline policies and AWS::IAM::Policy resources. */
const allStatements = (): Array<[string, Statement]> =>
  Object.entries(resources).flatMap(([id, r]) => {
    if (r.Type === "AWS::IAM::Role")
      return statementsOf((r.Properties.Policies ?? []).map((p: Properties) => p.PolicyDocument)).map(
        (s): [string, Statement] => [id, s],
      );
    if (r.Type === "AWS::IAM::Policy")
      return statementsOf([r.Properties.PolicyDocument]).map((s): [string, Statement] => [id, s]);
    return [];
  });

// A figure, not a test (speed goals live in benchmarks): the "synth <= 20 s here".
process.stderr.write(`cdk synth of the test stack, cdk-nag included: ${Math.round(synthMs)} ms\n`);

describe("AmqpLambdaPoller (synthesized offline, cdk-nag AwsSolutions clean)", () => {
  it("runs a Fargate service in the private subnets, with no public IP and no fixed task count", () => {
    const [, service] = only("AWS::ECS::Service");
    assert.equal(service.LaunchType, "FARGATE");
    assert.equal(service.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, "DISABLED");
    assert.deepEqual(service.NetworkConfiguration.AwsvpcConfiguration.Subnets, PRIVATE_SUBNETS);
    assert.equal("DesiredCount" in service, false, "the scaling policy owns the count");
    assert.deepEqual(service.DeploymentConfiguration.DeploymentCircuitBreaker, {
      Enable: true,
      Rollback: true,
    });
    const [, cluster] = only("AWS::ECS::Cluster");
    assert.deepEqual(cluster.ClusterSettings, [{ Name: "containerInsights", Value: "enabled" }]);
  });

  it("the container: read-only root filesystem, no capabilities, /healthz on loopback, logs in its group", () => {
    const agent = container();
    assert.equal(agent.ReadonlyRootFilesystem, true);
    assert.deepEqual(agent.LinuxParameters.Capabilities.Drop, ["ALL"]);
    assert.equal(agent.PortMappings, undefined);
    assert.equal(agent.HealthCheck.Command[0], "CMD");
    assert.match(agent.HealthCheck.Command.join(" "), /http:\/\/127\.0\.0\.1:9464\/healthz/);
    const [groupId, group] = only("AWS::Logs::LogGroup");
    assert.deepEqual(agent.LogConfiguration.Options["awslogs-group"], { Ref: groupId });
    assert.equal(group.RetentionInDays, 14);
    assert.equal(ofType("Custom::LogRetention").length, 0, "no LogRetention custom resource");
  });

  it("secrets reach the container by reference only: the broker URL is in no part of the template", () => {
    assert.deepEqual(container().Secrets, [
      { Name: "AMQP_URL", ValueFrom: BROKER_SECRET_ARN },
      { Name: "AMQP_PASSWORD", ValueFrom: PASSWORD_SECRET_ARN },
    ]);
    const text = JSON.stringify(template.toJSON());
    assert.equal(
      text.match(/amqps?:\/\//g)?.length,
      1,
      "one URL: the refunds agent's, its password a {{ env }}",
    );
    assert.ok(
      !text.includes("{{resolve:secretsmanager"),
      "no dynamic reference (CloudFormation would write the value)",
    );
    assert.ok(!text.includes("SecretString"), text);
  });

  it("the config: an agent without host reads AMQP_URL, names come from tokens, EMF names the service", () => {
    const environment = container().Environment as Array<{ Name: string; Value: unknown }>;
    assert.deepEqual(
      environment.map((e) => e.Name),
      ["AMQP_LAMBDA_AGENT_CONFIG_JSON"],
    );
    const value = environment[0]?.Value as { "Fn::Join": [string, unknown[]] };
    const parts = value["Fn::Join"][1];
    assert.ok(
      parts.some((part) => JSON.stringify(part) === JSON.stringify(resolved(orders.functionName))),
      "the function's name is a reference in the template",
    );
    const text = parts.map((part) => (typeof part === "string" ? part : "FUNCTION")).join("");
    const config = JSON.parse(text);
    const [ordersAgent, refundsAgent] = config.async_agent;
    assert.equal(ordersAgent.extra_config["async/amqp"].host, '{{ env "AMQP_URL" }}');
    assert.equal(ordersAgent.backend[0].extra_config["backend/lambda"].function_name, "FUNCTION");
    assert.equal(
      refundsAgent.extra_config["async/amqp"].host,
      'amqps://agent:{{ env "AMQP_PASSWORD" }}@rabbit.internal:5671/',
    );
    assert.equal(refundsAgent.backend[0].extra_config["backend/lambda"].function_name, REFUNDS_ARN);
    assert.deepEqual(config.amqp_lambda_agent, {
      http: { enabled: true, address: "127.0.0.1:9464" },
      emf: { enabled: true, namespace: "AmqpLambdaAgent", service: poller.metricsService, interval: "60s" },
    });
  });

  it("the task role may invoke exactly the functions (and their versions/aliases), and nothing else may", () => {
    const taskRoleId = only("AWS::ECS::TaskDefinition")[1].TaskRoleArn["Fn::GetAtt"][0];
    const ordersArn = resolved(orders.functionArn);
    const invokes = allStatements().filter(([, s]) => [s.Action].flat().includes("lambda:InvokeFunction"));
    assert.equal(invokes.length, 1, JSON.stringify(invokes));
    const [[roleId, statement]] = invokes as [[string, Statement]];
    assert.equal(roleId, taskRoleId);
    assert.deepEqual([statement.Action].flat(), ["lambda:InvokeFunction"]);
    assert.deepEqual(statement.Resource, [
      ordersArn,
      { "Fn::Join": ["", [ordersArn, ":*"]] },
      REFUNDS_ARN,
      `${REFUNDS_ARN}:*`,
    ]);
    const taskRoleStatements = allStatements().filter(([id]) => id === taskRoleId);
    assert.equal(taskRoleStatements.length, 1, "the task role has no other permission");
    assert.equal(ofType("AWS::Lambda::Permission").length, 0);
    assert.deepEqual(
      ofType("AWS::Lambda::Function").map(([id]) => id),
      [resolved(orders.functionName).Ref],
      "no custom-resource provider function",
    );
    assert.deepEqual(
      Object.values(resources).filter(
        (r) => r.Type.startsWith("Custom::") || r.Type === "AWS::CloudFormation::CustomResource",
      ),
      [],
    );
  });

  it("both roles are trusted by this account's ECS tasks only; the execution role reads only its secrets", () => {
    for (const [, role] of ofType("AWS::IAM::Role").filter(([id]) => id.startsWith("Poller"))) {
      assert.deepEqual(role.Properties.AssumeRolePolicyDocument.Statement, [
        {
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
          Effect: "Allow",
          Principal: { Service: "ecs-tasks.amazonaws.com" },
        },
      ]);
      assert.equal(role.Properties.ManagedPolicyArns, undefined);
    }
    const executionRoleId = only("AWS::ECS::TaskDefinition")[1].ExecutionRoleArn["Fn::GetAtt"][0];
    const executionPolicies = ofType("AWS::IAM::Policy")
      .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: executionRoleId }]))
      .map(([id]) => id);
    const reads = allStatements().filter(([, s]) =>
      [s.Action].flat().includes("secretsmanager:GetSecretValue"),
    );
    assert.ok(
      reads.every(([id]) => executionPolicies.includes(id)),
      "only the execution role reads secrets",
    );
    assert.deepEqual(
      reads.map(([, s]) => s.Resource).sort(),
      [BROKER_SECRET_ARN, PASSWORD_SECRET_ARN].sort(),
    );
    const wildcards = allStatements()
      .filter(([, s]) => s.Resource === "*")
      .flatMap(([, s]) => [s.Action].flat());
    assert.deepEqual(wildcards, ["ecr:GetAuthorizationToken"]);
  });

  it("scales between 1 and 4 tasks on the agent's EMF metrics: backlog + held per running task, 100 each", () => {
    const [targetId, target] = only("AWS::ApplicationAutoScaling::ScalableTarget");
    assert.deepEqual([target.MinCapacity, target.MaxCapacity], [1, 4]);
    assert.equal(target.ScalableDimension, "ecs:service:DesiredCount");
    const [, policy] = only("AWS::ApplicationAutoScaling::ScalingPolicy");
    assert.equal(policy.PolicyType, "TargetTrackingScaling");
    assert.deepEqual(policy.ScalingTargetId, { Ref: targetId });
    const tracking = policy.TargetTrackingScalingPolicyConfiguration;
    assert.equal(tracking.TargetValue, 100);
    const metrics = tracking.CustomizedMetricSpecification.Metrics as Properties[];
    const stats = metrics
      .filter((m) => m.MetricStat)
      .map((m) => [m.MetricStat.Metric.Namespace, m.MetricStat.Metric.MetricName, m.MetricStat.Stat]);
    assert.deepEqual(stats, [
      ["AmqpLambdaAgent", "Backlog", "Maximum"],
      ["AmqpLambdaAgent", "HeldMessages", "Average"],
      ["ECS/ContainerInsights", "RunningTaskCount", "Average"],
    ]);
    for (const metric of metrics.slice(0, 2)) {
      assert.deepEqual(metric.MetricStat.Metric.Dimensions, [
        { Name: "Service", Value: poller.metricsService },
      ]);
    }
    assert.deepEqual(metrics.find((m) => m.ReturnData)?.Expression, WORK_PER_TASK_EXPRESSION);
  });

  it("alarms: a breaker open for 5 minutes, any dead letter, no running task", () => {
    const alarm = (metricName: string) => {
      const found = ofType("AWS::CloudWatch::Alarm").filter(
        ([, a]) => a.Properties.MetricName === metricName,
      );
      assert.equal(found.length, 1, metricName);
      return found[0]?.[1].Properties as Properties;
    };
    const service = [{ Name: "Service", Value: poller.metricsService }];
    assert.deepEqual(pick(alarm("OpenCircuitBreakers")), [
      "AmqpLambdaAgent",
      service,
      "Maximum",
      60,
      "GreaterThanOrEqualToThreshold",
      1,
      5,
      5,
      "notBreaching",
    ]);
    assert.deepEqual(pick(alarm("DeadLettered")), [
      "AmqpLambdaAgent",
      service,
      "Sum",
      60,
      "GreaterThanThreshold",
      0,
      1,
      undefined,
      "notBreaching",
    ]);
    const noTask = alarm("RunningTaskCount");
    assert.deepEqual(pick(noTask).slice(2), [
      "Maximum",
      60,
      "LessThanThreshold",
      1,
      3,
      undefined,
      "breaching",
    ]);
    assert.equal(noTask.Namespace, "ECS/ContainerInsights");
    assert.deepEqual(poller.alarms.deadLetters.alarmArn !== undefined, true);
  });

  it("exposes the service, the task role and the alarms", () => {
    assert.equal(resolved(poller.service.serviceArn).Ref, only("AWS::ECS::Service")[0]);
    assert.equal(
      resolved(poller.taskRole.roleArn)["Fn::GetAtt"][0],
      only("AWS::ECS::TaskDefinition")[1].TaskRoleArn["Fn::GetAtt"][0],
    );
    assert.deepEqual(Object.keys(poller.alarms).sort(), [
      "circuitBreakerOpen",
      "deadLetters",
      "noRunningTask",
    ]);
    template.hasResourceProperties(
      "AWS::CloudWatch::Alarm",
      Match.objectLike({ MetricName: "DeadLettered" }),
    );
  });
});

function pick(alarm: Properties): unknown[] {
  return [
    alarm.Namespace,
    alarm.Dimensions,
    alarm.Statistic,
    alarm.Period,
    alarm.ComparisonOperator,
    alarm.Threshold,
    alarm.EvaluationPeriods,
    alarm.DatapointsToAlarm,
    alarm.TreatMissingData,
  ];
}
