import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../../src/config/index.js";
import { EMF_METRICS, EMF_SERVICE_DIMENSION } from "../../../src/observability/emf.js";
import { LOGICAL_IDS } from "../../../src/serverless/cloudformation-resources.js";
import { compile } from "./compile-template.js";

const AUTOSCALING = { min: 2, max: 8, messagesPerTask: 100 };

interface Query {
  Id: string;
  Expression?: string;
  ReturnData: boolean;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: unknown }> };
    Stat: string;
  };
}

describe("custom.amqpLambdaAgent.autoscaling", () => {
  const { get, resources, agentConfig } = compile({ autoscaling: AUTOSCALING });
  const policy = get(LOGICAL_IDS.scalingPolicy).Properties;
  const queries = policy.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification
    .Metrics as Query[];
  const query = (id: string) => {
    const found = queries.find((q) => q.Id === id);
    assert.ok(found, `query ${id}`);
    return found;
  };

  it("adds a scalable target on the service's desired count, between min and max", () => {
    const target = get(LOGICAL_IDS.scalableTarget);
    assert.equal(target.Type, "AWS::ApplicationAutoScaling::ScalableTarget");
    assert.deepEqual(target.Properties, {
      ServiceNamespace: "ecs",
      ScalableDimension: "ecs:service:DesiredCount",
      ResourceId: {
        "Fn::Join": [
          "/",
          ["service", { Ref: LOGICAL_IDS.cluster }, { "Fn::GetAtt": [LOGICAL_IDS.service, "Name"] }],
        ],
      },
      MinCapacity: 2,
      MaxCapacity: 8,
    });
  });

  it("the service has no fixed DesiredCount fighting the policy", () => {
    assert.equal("DesiredCount" in get(LOGICAL_IDS.service).Properties, false);
  });

  it("target tracking keeps the outstanding messages per running task at messagesPerTask", () => {
    assert.equal(get(LOGICAL_IDS.scalingPolicy).Type, "AWS::ApplicationAutoScaling::ScalingPolicy");
    assert.equal(policy.PolicyType, "TargetTrackingScaling");
    assert.deepEqual(policy.ScalingTargetId, { Ref: LOGICAL_IDS.scalableTarget });
    assert.equal(policy.TargetTrackingScalingPolicyConfiguration.TargetValue, 100);
    const returned = queries.filter((q) => q.ReturnData);
    assert.equal(returned.length, 1, "one time series");
    assert.equal(returned[0]?.Expression, "FILL(backlog, 0) / IF(tasks >= 1, tasks, 1) + FILL(held, 0)");
  });

  it("reads the agent's EMF metrics with the statistics that count a queue once and skip open breakers", () => {
    const dimensions = [{ Name: EMF_SERVICE_DIMENSION, Value: "shop-dev" }];
    assert.deepEqual(query("backlog").MetricStat, {
      Metric: { Namespace: "AmqpLambdaAgent", MetricName: EMF_METRICS.backlog.name, Dimensions: dimensions },
      Stat: "Maximum",
    });
    assert.deepEqual(query("held").MetricStat, {
      Metric: { Namespace: "AmqpLambdaAgent", MetricName: EMF_METRICS.held.name, Dimensions: dimensions },
      Stat: "Average",
    });
  });

  it("divides by the running tasks from Container Insights, enabled on the plugin's cluster", () => {
    assert.deepEqual(query("tasks").MetricStat, {
      Metric: {
        Namespace: "ECS/ContainerInsights",
        MetricName: "RunningTaskCount",
        Dimensions: [
          { Name: "ClusterName", Value: { Ref: LOGICAL_IDS.cluster } },
          { Name: "ServiceName", Value: { "Fn::GetAtt": [LOGICAL_IDS.service, "Name"] } },
        ],
      },
      Stat: "Average",
    });
    assert.deepEqual(get(LOGICAL_IDS.cluster).Properties, {
      ClusterSettings: [{ Name: "containerInsights", Value: "enabled" }],
    });
  });

  it("the agent publishes those metrics: emf on, same namespace and service, one line a minute", () => {
    assert.deepEqual(agentConfig().amqp_lambda_agent.emf, {
      enabled: true,
      namespace: "AmqpLambdaAgent",
      service: "shop-dev",
      interval: "60s",
    });
    assert.doesNotThrow(() => resolveConfig(agentConfig(), { AMQP_URL: "amqp://rabbit:5672/" }));
  });

  it("a user's cluster given by ARN is named by its name in the metric and the target", () => {
    const { get: getShared } = compile({
      autoscaling: AUTOSCALING,
      cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/shared",
    });
    const target = getShared(LOGICAL_IDS.scalableTarget).Properties;
    assert.deepEqual(target.ResourceId["Fn::Join"][1][1], "shared");
    const tasks = (
      getShared(LOGICAL_IDS.scalingPolicy).Properties.TargetTrackingScalingPolicyConfiguration
        .CustomizedMetricSpecification.Metrics as Query[]
    ).find((q) => q.Id === "tasks");
    assert.deepEqual(tasks?.MetricStat?.Metric.Dimensions[0], { Name: "ClusterName", Value: "shared" });
  });

  it("a custom namespace reaches both the agent and the policy", () => {
    const custom = compile({ autoscaling: AUTOSCALING, metricsNamespace: "Shop/Pollers" });
    assert.equal(custom.agentConfig().amqp_lambda_agent.emf.namespace, "Shop/Pollers");
    const metrics = custom.get(LOGICAL_IDS.scalingPolicy).Properties.TargetTrackingScalingPolicyConfiguration
      .CustomizedMetricSpecification.Metrics as Query[];
    assert.equal(metrics.find((q) => q.Id === "backlog")?.MetricStat?.Metric.Namespace, "Shop/Pollers");
  });

  it("without autoscaling: no scaling resources, no Container Insights; emf can be turned off", () => {
    const plain = compile();
    assert.equal(plain.resources[LOGICAL_IDS.scalableTarget], undefined);
    assert.equal(plain.resources[LOGICAL_IDS.scalingPolicy], undefined);
    assert.equal(plain.get(LOGICAL_IDS.cluster).Properties, undefined);
    assert.equal(plain.agentConfig().amqp_lambda_agent.emf.enabled, true);
    assert.deepEqual(compile({ emf: false }).agentConfig().amqp_lambda_agent.emf, { enabled: false });
    assert.ok(resources[LOGICAL_IDS.scalableTarget]);
  });

  it("refuses desiredCount beside autoscaling, emf off with autoscaling, and min above max", () => {
    assert.throws(
      () => compile({ autoscaling: AUTOSCALING, desiredCount: 2 }),
      /custom\.amqpLambdaAgent\.desiredCount: remove it with custom\.amqpLambdaAgent\.autoscaling/,
    );
    assert.throws(
      () => compile({ autoscaling: AUTOSCALING, emf: false }),
      /autoscaling needs the agent's metrics/,
    );
    assert.throws(
      () => compile({ autoscaling: { min: 3, max: 2, messagesPerTask: 10 } }),
      /custom\.amqpLambdaAgent\.autoscaling\.max: max must be at least min/,
    );
    assert.throws(
      () => compile({ autoscaling: { min: 0, max: 2, messagesPerTask: 10 } }),
      /autoscaling\.min: at least 1/,
    );
  });
});
