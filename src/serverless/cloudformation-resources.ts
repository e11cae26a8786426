import { AGENT_HTTP_PORT, CONFIG_ENV, CONTAINER_NAME, HEALTH_CHECK } from "../deploy/container-contract.js";
import { autoscalingResources } from "./autoscaling-resources.js";
import type { AgentFile } from "./build-agent-config.js";
import { containerSecrets } from "./container-secrets.js";
import { ecsTasksTrust, executionStatements, invokeStatements } from "./iam-roles.js";
import {
  agentLargePayloadStatements,
  largePayloadKmsKeys,
  largePayloadPlaces,
} from "./large-payload-resources.js";
import { CUSTOM_KEY, type PluginOptions } from "./plugin-options.js";

export { BROKER_URL_ENV, CONFIG_ENV } from "../deploy/container-contract.js";

export const LOGICAL_IDS = {
  cluster: "AmqpLambdaAgentCluster",
  logGroup: "AmqpLambdaAgentLogGroup",
  executionRole: "AmqpLambdaAgentExecutionRole",
  taskRole: "AmqpLambdaAgentTaskRole",
  taskDefinition: "AmqpLambdaAgentTaskDefinition",
  service: "AmqpLambdaAgentService",
  securityGroup: "AmqpLambdaAgentSecurityGroup",
  scalableTarget: "AmqpLambdaAgentScalableTarget",
  scalingPolicy: "AmqpLambdaAgentScalingPolicy",
} as const;

export interface DeployInput {
  options: PluginOptions;
  /** The container's agent config (broker URL as a placeholder). */
  config: AgentFile;
  /** Logical ids of the Lambda functions invoked by `amqp` events. */
  functionLogicalIds: string[];
  /** Logical ids of the functions whose URL an `amqp` event's `http` target calls signed for Lambda. */
  functionUrlLogicalIds?: string[];
  /** `<service>-<stage>`: the `Service` dimension of the agent's EMF metrics. */
  metricsService: string;
}

const policy = (name: string, statements: unknown[]) => ({
  PolicyName: name,
  PolicyDocument: { Version: "2012-10-17", Statement: statements },
});

/** The ECS Fargate poller: cluster, roles, log group, task definition, service (and its scaling). */
export function deployResources({
  options,
  config,
  functionLogicalIds,
  functionUrlLogicalIds = [],
  metricsService,
}: DeployInput): Record<string, unknown> {
  const brokerUrlSecret = required(options, "brokerUrlSecret");
  const subnets = required(options, "subnets");
  const image = required(options, "image") as string;
  if (options.securityGroups === undefined && options.vpcId === undefined) {
    throw new Error(
      `custom.${CUSTOM_KEY}.securityGroups or custom.${CUSTOM_KEY}.vpcId is required to deploy the agent: give the task's security groups, or the VPC id and the plugin creates an egress-only security group (not the VPC's default one)`,
    );
  }
  if (options.autoscaling !== undefined && options.desiredCount !== undefined) {
    throw new Error(
      `custom.${CUSTOM_KEY}.desiredCount: remove it with custom.${CUSTOM_KEY}.autoscaling (autoscaling.min is the floor; a fixed count would fight the scaling policy)`,
    );
  }
  if (options.autoscaling !== undefined && !options.emf) {
    throw new Error(
      `custom.${CUSTOM_KEY}.autoscaling needs the agent's metrics: remove custom.${CUSTOM_KEY}.emf: false`,
    );
  }
  const secrets = containerSecrets(options, brokerUrlSecret);
  const logGroupArn = { "Fn::GetAtt": [LOGICAL_IDS.logGroup, "Arn"] };
  const securityGroups = options.securityGroups ?? [{ "Fn::GetAtt": [LOGICAL_IDS.securityGroup, "GroupId"] }];
  const resources: Record<string, unknown> = {
    [LOGICAL_IDS.logGroup]: {
      Type: "AWS::Logs::LogGroup",
      Properties: { RetentionInDays: options.logRetentionInDays },
    },
    [LOGICAL_IDS.executionRole]: {
      Type: "AWS::IAM::Role",
      Properties: {
        AssumeRolePolicyDocument: ecsTasksTrust,
        Policies: [policy("start-agent-task", executionStatements(logGroupArn, image, secrets.statements))],
      },
    },
    [LOGICAL_IDS.taskRole]: {
      Type: "AWS::IAM::Role",
      Properties: {
        AssumeRolePolicyDocument: ecsTasksTrust,
        Policies: [
          policy("invoke-amqp-functions", [
            ...invokeStatements(functionLogicalIds, functionUrlLogicalIds),
            ...agentLargePayloadStatements(largePayloadPlaces(config), largePayloadKmsKeys(config)),
          ]),
        ],
      },
    },
    [LOGICAL_IDS.taskDefinition]: {
      Type: "AWS::ECS::TaskDefinition",
      Properties: {
        RequiresCompatibilities: ["FARGATE"],
        NetworkMode: "awsvpc",
        Cpu: String(options.cpu),
        Memory: String(options.memory),
        RuntimePlatform: { CpuArchitecture: options.cpuArchitecture, OperatingSystemFamily: "LINUX" },
        ExecutionRoleArn: { "Fn::GetAtt": [LOGICAL_IDS.executionRole, "Arn"] },
        TaskRoleArn: { "Fn::GetAtt": [LOGICAL_IDS.taskRole, "Arn"] },
        ContainerDefinitions: [containerDefinition(options, image, config, secrets.secrets)],
      },
    },
    [LOGICAL_IDS.service]: {
      Type: "AWS::ECS::Service",
      Properties: {
        Cluster: options.cluster ?? { Ref: LOGICAL_IDS.cluster },
        LaunchType: "FARGATE",
        // With autoscaling the count belongs to the scaling policy: a DesiredCount here would reset
        // it on every deploy.
        ...(options.autoscaling === undefined ? { DesiredCount: options.desiredCount ?? 1 } : {}),
        TaskDefinition: { Ref: LOGICAL_IDS.taskDefinition },
        PropagateTags: "SERVICE",
        DeploymentConfiguration: {
          MinimumHealthyPercent: 100,
          MaximumPercent: 200,
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        },
        NetworkConfiguration: {
          AwsvpcConfiguration: {
            AssignPublicIp: options.assignPublicIp ? "ENABLED" : "DISABLED",
            Subnets: subnets,
            SecurityGroups: securityGroups,
          },
        },
      },
    },
  };
  if (options.securityGroups === undefined) {
    resources[LOGICAL_IDS.securityGroup] = {
      Type: "AWS::EC2::SecurityGroup",
      Properties: {
        GroupDescription: "amqp-lambda-agent pollers: no inbound traffic",
        VpcId: options.vpcId,
        // Outbound only: the broker, the AWS APIs (Lambda, Secrets Manager, ECR, CloudWatch Logs).
        SecurityGroupEgress: [{ IpProtocol: "-1", CidrIp: "0.0.0.0/0", Description: "outbound only" }],
      },
    };
  }
  if (options.cluster === undefined) {
    resources[LOGICAL_IDS.cluster] = {
      Type: "AWS::ECS::Cluster",
      // Container Insights publishes RunningTaskCount, the denominator of the scaling metric.
      ...(options.autoscaling === undefined
        ? {}
        : { Properties: { ClusterSettings: [{ Name: "containerInsights", Value: "enabled" }] } }),
    };
  }
  if (options.autoscaling !== undefined) {
    Object.assign(
      resources,
      autoscalingResources({
        autoscaling: options.autoscaling,
        namespace: options.metricsNamespace,
        service: metricsService,
        clusterName: clusterName(options.cluster),
        serviceLogicalId: LOGICAL_IDS.service,
        targetLogicalId: LOGICAL_IDS.scalableTarget,
        policyLogicalId: LOGICAL_IDS.scalingPolicy,
      }),
    );
  }
  return resources;
}

function required<K extends "brokerUrlSecret" | "subnets" | "image">(
  options: PluginOptions,
  key: K,
): NonNullable<PluginOptions[K]> {
  const value = options[key];
  if (value === undefined || (Array.isArray(value) && value.length === 0)) {
    const hint =
      key === "image" ? " (build infra/Dockerfile, push it to ECR or another registry and name it here)" : "";
    throw new Error(
      `custom.${CUSTOM_KEY}.${key} is required to deploy the agent${hint} (set custom.${CUSTOM_KEY}.deploy: false to leave it out)`,
    );
  }
  return value as NonNullable<PluginOptions[K]>;
}

/** The cluster's name: the plugin's cluster, the name in a cluster ARN, or the value as given. */
function clusterName(cluster: PluginOptions["cluster"]): unknown {
  if (cluster === undefined) return { Ref: LOGICAL_IDS.cluster };
  if (typeof cluster === "string" && cluster.startsWith("arn:"))
    return cluster.slice(cluster.indexOf("/") + 1);
  return cluster;
}

function containerDefinition(
  options: PluginOptions,
  image: string,
  config: AgentFile,
  secrets: Array<{ Name: string; ValueFrom: unknown }>,
): unknown {
  const environment = {
    ...options.environment,
    ...options.tracing?.environment,
    [CONFIG_ENV]: JSON.stringify(config),
  };
  return {
    Name: CONTAINER_NAME,
    Image: image,
    Essential: true,
    Environment: Object.entries(environment).map(([Name, Value]) => ({ Name, Value })),
    Secrets: secrets,
    // The health check runs inside the container on loopback; the port is published for a scraper only.
    ...(options.metricsPort ? { PortMappings: [{ ContainerPort: AGENT_HTTP_PORT, Protocol: "tcp" }] } : {}),
    // The agent writes nothing to disk: its config comes from the environment.
    ReadonlyRootFilesystem: true,
    LinuxParameters: { Capabilities: { Drop: ["ALL"] } },
    StopTimeout: options.stopTimeout,
    HealthCheck: {
      Command: [...HEALTH_CHECK.command],
      Interval: HEALTH_CHECK.intervalSeconds,
      Timeout: HEALTH_CHECK.timeoutSeconds,
      Retries: HEALTH_CHECK.retries,
      StartPeriod: HEALTH_CHECK.startPeriodSeconds,
    },
    LogConfiguration: {
      LogDriver: "awslogs",
      Options: {
        "awslogs-group": { Ref: LOGICAL_IDS.logGroup },
        "awslogs-region": { Ref: "AWS::Region" },
        "awslogs-stream-prefix": "agent",
      },
    },
  };
}
