import { Annotations, Duration, Names, Stack } from "aws-cdk-lib";
import type * as appscaling from "aws-cdk-lib/aws-applicationautoscaling";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import type * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import {
  BROKER_URL_ENV,
  CONFIG_ENV,
  CONTAINER_NAME,
  HEALTH_CHECK,
  STOP_TIMEOUT_SECONDS,
} from "../deploy/container-contract.js";
import { packagedAgentImage, packageIsBuilt } from "./agent-image.js";
import { containerConfig } from "./container-config.js";
import { grantLargePayloads, largePayloadPrefixes } from "./large-payload-grants.js";
import { acknowledgeNagRules } from "./nag-acknowledgements.js";
import { type PollerAlarms, pollerAlarms } from "./poller-alarms.js";
import { type AmqpLambdaPollerProps, pollerSettings } from "./poller-props.js";
import { workPerTaskScaling } from "./poller-scaling.js";
import { executionRole, invokeRole } from "./task-roles.js";

/**
 * amqp-lambda-agent as an ECS Fargate service: consumes RabbitMQ queues (KrakenD `async/amqp`
 * semantics) and invokes Lambda functions, scaled on its outstanding messages, with the alarms an
 * operator wants. The broker URL reaches the container from `brokerUrlSecret`, by reference only.
 */
export class AmqpLambdaPoller extends Construct {
  readonly cluster: ecs.ICluster;
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** May invoke exactly the `functions` (and their versions and aliases). */
  readonly taskRole: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly scalableTarget: appscaling.ScalableTarget;
  readonly alarms: PollerAlarms;
  /** The `Service` dimension of the agent's EMF metrics (namespace `metricsNamespace`). */
  readonly metricsService: string;
  readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: AmqpLambdaPollerProps) {
    super(scope, id);
    const settings = pollerSettings(props);
    this.metricsService = Names.uniqueResourceName(this, { maxLength: 128, separator: "-" });
    const rendered = containerConfig(props.config, {
      service: this.metricsService,
      secretNames: Object.keys(settings.secrets),
    });
    this.metricsNamespace = rendered.namespace;
    this.warnAboutUnlistedFunctions(rendered.functionNames, props);

    this.cluster =
      props.cluster ??
      new ecs.Cluster(this, "Cluster", {
        vpc: props.vpc,
        // Container Insights: RunningTaskCount, for the scaling policy and the no-task alarm.
        containerInsightsV2: ecs.ContainerInsights.ENABLED,
      });
    this.logGroup = new logs.LogGroup(this, "Logs", { retention: settings.logRetention });
    this.taskRole = invokeRole(this, "TaskRole", props.functions);
    const execution = executionRole(this, "ExecutionRole");
    this.taskDefinition = new ecs.FargateTaskDefinition(this, "TaskDefinition", {
      cpu: settings.cpu,
      memoryLimitMiB: settings.memoryLimitMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      taskRole: this.taskRole,
      executionRole: execution,
    });
    if (props.image === undefined && !packageIsBuilt()) {
      Annotations.of(this).addWarningV2(
        "amqp-lambda-agent:packageNotBuilt",
        "the image is built from this package's dist/, which is missing: run `npm run build` in it first",
      );
    }
    const linuxParameters = new ecs.LinuxParameters(this, "LinuxParameters");
    linuxParameters.dropCapabilities(ecs.Capability.ALL);
    this.taskDefinition.addContainer("Agent", {
      containerName: CONTAINER_NAME,
      image: props.image ?? packagedAgentImage(),
      essential: true,
      // The config names its secrets ({{ env "AMQP_URL" }}); it holds none.
      environment: {
        ...settings.tracingEnvironment,
        [CONFIG_ENV]: Stack.of(this).toJsonString(rendered.config),
      },
      secrets: {
        [BROKER_URL_ENV]: ecs.Secret.fromSecretsManager(props.brokerUrlSecret),
        ...settings.secrets,
      },
      // The agent writes nothing to disk: its config comes from the environment.
      readonlyRootFilesystem: true,
      linuxParameters,
      stopTimeout: Duration.seconds(STOP_TIMEOUT_SECONDS),
      healthCheck: {
        command: [...HEALTH_CHECK.command],
        interval: Duration.seconds(HEALTH_CHECK.intervalSeconds),
        timeout: Duration.seconds(HEALTH_CHECK.timeoutSeconds),
        retries: HEALTH_CHECK.retries,
        startPeriod: Duration.seconds(HEALTH_CHECK.startPeriodSeconds),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: "agent" }),
    });
    this.service = new ecs.FargateService(this, "Service", {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      // No desiredCount: the count belongs to the scaling policy (a value here would reset it on deploy).
      assignPublicIp: false,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ...(props.securityGroups === undefined ? {} : { securityGroups: props.securityGroups }),
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    this.scalableTarget = workPerTaskScaling(this, {
      cluster: this.cluster,
      service: this.service,
      minCapacity: settings.minCapacity,
      maxCapacity: settings.maxCapacity,
      messagesPerTask: settings.messagesPerTask,
      namespace: this.metricsNamespace,
      metricsService: this.metricsService,
    });
    this.alarms = pollerAlarms(this, {
      namespace: this.metricsNamespace,
      metricsService: this.metricsService,
      cluster: this.cluster,
      service: this.service,
    });
    if (props.largePayloadBucket) {
      grantLargePayloads({
        bucket: props.largePayloadBucket,
        config: props.config,
        taskRole: this.taskRole,
        functions: props.functions,
        expiration: props.largePayloadExpiration ?? Duration.days(1),
      });
    } else if (largePayloadPrefixes(props.config).length > 0) {
      Annotations.of(this).addWarningV2(
        "amqp-lambda-agent:largePayloadBucket",
        "the config has large_payload but no largePayloadBucket is given: the task role may not write the bodies",
      );
    }
    acknowledgeNagRules({
      taskRole: this.taskRole,
      executionRole: execution,
      taskDefinition: this.taskDefinition,
      functions: props.functions,
    });
  }

  /** A backend whose function is not in `functions` would be refused by IAM at its first message. */
  private warnAboutUnlistedFunctions(names: readonly unknown[], props: AmqpLambdaPollerProps): void {
    const allowed = new Set(props.functions.flatMap((fn) => [fn.functionName, fn.functionArn]));
    for (const name of names) {
      if (typeof name === "string" && !allowed.has(name)) {
        Annotations.of(this).addWarningV2(
          "amqp-lambda-agent:functionNotListed",
          `config names the function ${name}, which is not in functions: the task role may not invoke it`,
        );
      }
    }
  }
}
