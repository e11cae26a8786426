import { EMF_METRICS, EMF_SERVICE_DIMENSION } from "../observability/emf.js";

/**
 * Outstanding work per running task, from the agent's EMF metrics and Container Insights:
 * the queues' ready messages (Maximum across tasks: every task reports the same queues, so a
 * queue counts once) shared by the running tasks, plus what each task holds on average (0 for an
 * open circuit breaker, so a failing function does not scale the service out). Missing data
 * (no task reporting) counts as no work; a service with no running task divides by 1.
 */
export const WORK_PER_TASK_EXPRESSION = "FILL(backlog, 0) / IF(tasks >= 1, tasks, 1) + FILL(held, 0)";

export interface WorkPerTaskInput {
  /** The scalable target (its CloudFormation `Ref`). */
  scalingTargetId: unknown;
  messagesPerTask: number;
  /** The EMF namespace and `Service` dimension value the agent publishes under. */
  namespace: string;
  service: unknown;
  /** The ECS cluster's and service's names (Container Insights' dimensions). */
  clusterName: unknown;
  serviceName: unknown;
}

/** The properties of an `AWS::ApplicationAutoScaling::ScalingPolicy` tracking the work per task. */
export function workPerTaskPolicy(input: WorkPerTaskInput): Record<string, unknown> {
  const { scalingTargetId, messagesPerTask, namespace, service, clusterName, serviceName } = input;
  const emfMetric = (id: string, metric: { name: string; statistic: string }) => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: namespace,
        MetricName: metric.name,
        Dimensions: [{ Name: EMF_SERVICE_DIMENSION, Value: service }],
      },
      Stat: metric.statistic,
    },
    ReturnData: false,
  });
  return {
    PolicyName: "amqp-work-per-task",
    PolicyType: "TargetTrackingScaling",
    ScalingTargetId: scalingTargetId,
    TargetTrackingScalingPolicyConfiguration: {
      TargetValue: messagesPerTask,
      // Out fast when work piles up; in slowly, as a stopped task gives its messages back.
      ScaleOutCooldown: 60,
      ScaleInCooldown: 300,
      CustomizedMetricSpecification: {
        Metrics: [
          emfMetric("backlog", EMF_METRICS.backlog),
          emfMetric("held", EMF_METRICS.held),
          {
            Id: "tasks",
            MetricStat: {
              Metric: {
                Namespace: "ECS/ContainerInsights",
                MetricName: "RunningTaskCount",
                Dimensions: [
                  { Name: "ClusterName", Value: clusterName },
                  { Name: "ServiceName", Value: serviceName },
                ],
              },
              Stat: "Average",
            },
            ReturnData: false,
          },
          {
            Id: "work_per_task",
            Expression: WORK_PER_TASK_EXPRESSION,
            Label: "Outstanding messages per running task",
            ReturnData: true,
          },
        ],
      },
    },
  };
}
