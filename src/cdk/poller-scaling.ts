import { CfnResource, Stack } from "aws-cdk-lib";
import * as appscaling from "aws-cdk-lib/aws-applicationautoscaling";
import type * as ecs from "aws-cdk-lib/aws-ecs";
import * as iam from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import { workPerTaskPolicy } from "../deploy/work-per-task-scaling.js";

export interface ScalingInput {
  cluster: ecs.ICluster;
  service: ecs.FargateService;
  minCapacity: number;
  maxCapacity: number;
  messagesPerTask: number;
  /** The EMF namespace and `Service` dimension the agent writes under. */
  namespace: string;
  metricsService: string;
}

/**
 * The service's task count between min and max, tracking the outstanding messages per task from
 * the agent's EMF metrics (the policy the Serverless plugin deploys: CDK's target tracking takes no
 * metric math, so the policy is written as CloudFormation).
 */
export function workPerTaskScaling(scope: Construct, input: ScalingInput): appscaling.ScalableTarget {
  const { cluster, service } = input;
  const target = new appscaling.ScalableTarget(scope, "TaskCount", {
    serviceNamespace: appscaling.ServiceNamespace.ECS,
    scalableDimension: "ecs:service:DesiredCount",
    resourceId: `service/${cluster.clusterName}/${service.serviceName}`,
    minCapacity: input.minCapacity,
    maxCapacity: input.maxCapacity,
    // Application Auto Scaling's service-linked role for ECS (as ecs.BaseService.autoScaleTaskCount).
    role: iam.Role.fromRoleArn(
      scope,
      "ScalingRole",
      Stack.of(scope).formatArn({
        region: "",
        service: "iam",
        resource: "role/aws-service-role/ecs.application-autoscaling.amazonaws.com",
        resourceName: "AWSServiceRoleForApplicationAutoScaling_ECSService",
      }),
    ),
  });
  new CfnResource(scope, "WorkPerTaskScaling", {
    type: "AWS::ApplicationAutoScaling::ScalingPolicy",
    properties: workPerTaskPolicy({
      scalingTargetId: target.scalableTargetId,
      messagesPerTask: input.messagesPerTask,
      namespace: input.namespace,
      service: input.metricsService,
      clusterName: cluster.clusterName,
      serviceName: service.serviceName,
    }),
  });
  return target;
}
