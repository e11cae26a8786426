import { brokerSecret } from "./broker-secret.js";
import type { AgentFile } from "./build-agent-config.js";
import { AGENT_HTTP_PORT, CUSTOM_KEY, type PluginOptions } from "./plugin-options.js";

export const LOGICAL_IDS = {
  cluster: "AmqpLambdaAgentCluster",
  logGroup: "AmqpLambdaAgentLogGroup",
  executionRole: "AmqpLambdaAgentExecutionRole",
  taskRole: "AmqpLambdaAgentTaskRole",
  taskDefinition: "AmqpLambdaAgentTaskDefinition",
  service: "AmqpLambdaAgentService",
} as const;

/** The container reads its config from this variable (infra/docker-entrypoint.mjs writes it to a file). */
export const CONFIG_ENV = "AMQP_LAMBDA_AGENT_CONFIG_JSON";
/** The broker URL, injected from Secrets Manager / SSM; the config says `{{ env "AMQP_URL" }}`. */
export const BROKER_URL_ENV = "AMQP_URL";
export const CONTAINER_NAME = "amqp-lambda-agent";

export interface DeployInput {
  options: PluginOptions;
  /** The container's agent config (broker URL as a placeholder). */
  config: AgentFile;
  /** Logical ids of the Lambda functions that have `amqp` events. */
  functionLogicalIds: string[];
}

const ecsTasksTrust = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
};

/** The ECS Fargate poller: cluster, roles, log group, task definition and service. */
export function deployResources({
  options,
  config,
  functionLogicalIds,
}: DeployInput): Record<string, unknown> {
  const required = (key: "brokerUrlSecret" | "subnets") => {
    const value = options[key];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) {
      throw new Error(
        `custom.${CUSTOM_KEY}.${key} is required to deploy the agent (set custom.${CUSTOM_KEY}.deploy: false to leave it out)`,
      );
    }
    return value;
  };
  const secret = brokerSecret(required("brokerUrlSecret"));
  const subnets = required("subnets");
  const executionStatements: unknown[] = [secret.statement];
  if (options.kmsKeyArn !== undefined) {
    executionStatements.push({ Effect: "Allow", Action: ["kms:Decrypt"], Resource: options.kmsKeyArn });
  }
  const resources: Record<string, unknown> = {
    [LOGICAL_IDS.logGroup]: {
      Type: "AWS::Logs::LogGroup",
      Properties: { RetentionInDays: options.logRetentionInDays },
    },
    [LOGICAL_IDS.executionRole]: {
      Type: "AWS::IAM::Role",
      Properties: {
        AssumeRolePolicyDocument: ecsTasksTrust,
        ManagedPolicyArns: [
          {
            // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
            "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
          },
        ],
        Policies: [
          {
            PolicyName: "read-broker-url",
            PolicyDocument: { Version: "2012-10-17", Statement: executionStatements },
          },
        ],
      },
    },
    [LOGICAL_IDS.taskRole]: {
      Type: "AWS::IAM::Role",
      Properties: {
        AssumeRolePolicyDocument: ecsTasksTrust,
        Policies: [
          {
            PolicyName: "invoke-amqp-functions",
            PolicyDocument: {
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Action: ["lambda:InvokeFunction"],
                  Resource: functionLogicalIds.map((id) => ({ "Fn::GetAtt": [id, "Arn"] })),
                },
              ],
            },
          },
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
        ContainerDefinitions: [containerDefinition(options, config, secret.valueFrom)],
      },
    },
    [LOGICAL_IDS.service]: {
      Type: "AWS::ECS::Service",
      Properties: {
        Cluster: options.cluster ?? { Ref: LOGICAL_IDS.cluster },
        LaunchType: "FARGATE",
        DesiredCount: options.desiredCount,
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
            ...(options.securityGroups === undefined ? {} : { SecurityGroups: options.securityGroups }),
          },
        },
      },
    },
  };
  if (options.cluster === undefined) resources[LOGICAL_IDS.cluster] = { Type: "AWS::ECS::Cluster" };
  return resources;
}

function containerDefinition(options: PluginOptions, config: AgentFile, secretValueFrom: unknown): unknown {
  const environment = { ...options.environment, [CONFIG_ENV]: JSON.stringify(config) };
  return {
    Name: CONTAINER_NAME,
    Image: options.image,
    Essential: true,
    Environment: Object.entries(environment).map(([Name, Value]) => ({ Name, Value })),
    Secrets: [{ Name: BROKER_URL_ENV, ValueFrom: secretValueFrom }],
    PortMappings: [{ ContainerPort: AGENT_HTTP_PORT, Protocol: "tcp" }],
    StopTimeout: options.stopTimeout,
    HealthCheck: {
      Command: [
        "CMD",
        "node",
        "-e",
        `fetch("http://127.0.0.1:${AGENT_HTTP_PORT}/healthz").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
      ],
      Interval: 30,
      Timeout: 5,
      Retries: 3,
      StartPeriod: 30,
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
