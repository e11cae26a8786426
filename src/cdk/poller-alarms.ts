import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as ecs from "aws-cdk-lib/aws-ecs";
import type { Construct } from "constructs";
import { EMF_METRICS, EMF_SERVICE_DIMENSION } from "../observability/emf.js";

/** What an operator is paged for. None has an action: add yours (`alarm.addAlarmAction`). */
export interface PollerAlarms {
  /** An agent's circuit breaker has been open for 5 minutes (the function keeps failing). */
  readonly circuitBreakerOpen: cloudwatch.Alarm;
  /** A message was dead-lettered in the last minute. */
  readonly deadLetters: cloudwatch.Alarm;
  /** No task has been running for 3 minutes (Container Insights; missing data counts). */
  readonly noRunningTask: cloudwatch.Alarm;
}

export interface AlarmsInput {
  namespace: string;
  /** The EMF `Service` dimension. */
  metricsService: string;
  cluster: ecs.ICluster;
  service: ecs.FargateService;
}

const MINUTE = Duration.minutes(1);

export function pollerAlarms(scope: Construct, input: AlarmsInput): PollerAlarms {
  const { namespace, metricsService, cluster, service } = input;
  const emf = (metric: { name: string; statistic: string }) =>
    new cloudwatch.Metric({
      namespace,
      metricName: metric.name,
      dimensionsMap: { [EMF_SERVICE_DIMENSION]: metricsService },
      statistic: metric.statistic,
      period: MINUTE,
    });
  const runningTasks = new cloudwatch.Metric({
    namespace: "ECS/ContainerInsights",
    metricName: "RunningTaskCount",
    dimensionsMap: { ClusterName: cluster.clusterName, ServiceName: service.serviceName },
    statistic: "Maximum",
    period: MINUTE,
  });
  return {
    circuitBreakerOpen: emf(EMF_METRICS.openBreakers).createAlarm(scope, "CircuitBreakerOpenAlarm", {
      alarmDescription: `amqp-lambda-agent ${metricsService}: a circuit breaker has been open for 5 minutes; the function keeps failing (throttling, errors, access), messages wait`,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    deadLetters: emf(EMF_METRICS.deadLettered).createAlarm(scope, "DeadLettersAlarm", {
      alarmDescription: `amqp-lambda-agent ${metricsService}: messages were dead-lettered; read them from the dead-letter queue and redrive them once fixed`,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    noRunningTask: runningTasks.createAlarm(scope, "NoRunningTaskAlarm", {
      alarmDescription: `amqp-lambda-agent ${metricsService}: no poller task is running; nothing consumes the queues`,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }),
  };
}
