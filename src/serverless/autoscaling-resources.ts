import { workPerTaskPolicy } from "../deploy/work-per-task-scaling.js";

export interface AutoscalingInput {
  autoscaling: { min: number; max: number; messagesPerTask: number };
  /** The EMF namespace and `Service` dimension value the agent publishes under. */
  namespace: string;
  service: string;
  /** The cluster's name (a `Ref` to the plugin's cluster, or the user's cluster name). */
  clusterName: unknown;
  serviceLogicalId: string;
  targetLogicalId: string;
  policyLogicalId: string;
}

/** An Application Auto Scaling target on the service's DesiredCount and a target tracking policy. */
export function autoscalingResources(input: AutoscalingInput): Record<string, unknown> {
  const { autoscaling, namespace, service, clusterName, serviceLogicalId, targetLogicalId, policyLogicalId } =
    input;
  const serviceName = { "Fn::GetAtt": [serviceLogicalId, "Name"] };
  return {
    [targetLogicalId]: {
      Type: "AWS::ApplicationAutoScaling::ScalableTarget",
      // No RoleARN: Application Auto Scaling uses its service-linked role for ECS.
      Properties: {
        ServiceNamespace: "ecs",
        ScalableDimension: "ecs:service:DesiredCount",
        ResourceId: { "Fn::Join": ["/", ["service", clusterName, serviceName]] },
        MinCapacity: autoscaling.min,
        MaxCapacity: autoscaling.max,
      },
    },
    [policyLogicalId]: {
      Type: "AWS::ApplicationAutoScaling::ScalingPolicy",
      Properties: workPerTaskPolicy({
        scalingTargetId: { Ref: targetLogicalId },
        messagesPerTask: autoscaling.messagesPerTask,
        namespace,
        service,
        clusterName,
        serviceName,
      }),
    },
  };
}
