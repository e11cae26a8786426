import { type Duration, Token } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import type * as ecs from "aws-cdk-lib/aws-ecs";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { BROKER_URL_ENV, CONFIG_ENV } from "../deploy/container-contract.js";
import { tracingEnvironmentProblem } from "../deploy/tracing-environment.js";

/** The agent's config as an object: `{"async_agent": [...]}`, the same JSON as a config file. */
export interface AgentConfigObject {
  readonly async_agent: ReadonlyArray<Record<string, unknown>>;
  readonly amqp_lambda_agent?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

export interface AmqpLambdaPollerProps {
  /** The VPC of a new ECS cluster (Container Insights on). Give this or `cluster`. */
  readonly vpc?: ec2.IVpc;
  /** An existing cluster; turn Container Insights on in it (scaling and the no-task alarm read it). */
  readonly cluster?: ecs.ICluster;
  /** The tasks' subnets. @default the VPC's private subnets with egress (never a public IP) */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** The tasks' security groups. @default a new one, outbound only */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Holds the broker URL, or a JSON array of the nodes' URLs: the container's `AMQP_URL`. */
  readonly brokerUrlSecret: secretsmanager.ISecret;
  /** The agent config; an agent without `host` gets `{{ env "AMQP_URL" }}`. May hold tokens. */
  readonly config: AgentConfigObject;
  /** The only functions the task role may invoke (and their versions and aliases). */
  readonly functions: readonly lambda.IFunction[];
  /** @default 1 */
  readonly minCapacity?: number;
  /** @default 4 */
  readonly maxCapacity?: number;
  /** Outstanding messages (ready + held) one task should handle. @default 100 */
  readonly messagesPerTask?: number;
  /** @default 256 */
  readonly cpu?: number;
  /** @default 512 */
  readonly memoryLimitMiB?: number;
  /** @default the installed package built with its infra/Dockerfile.package (linux/amd64) */
  readonly image?: ecs.ContainerImage;
  /** @default two weeks */
  readonly logRetention?: logs.RetentionDays;
  /** More secret environment variables, e.g. `{ AMQP_KEY_PASSPHRASE: ecs.Secret.fromSecretsManager(s) }`. */
  readonly secrets?: Readonly<Record<string, ecs.Secret>>;
  /**
   * The bucket the config's `large_payload` blocks name: the task role may put and delete under
   * their key prefixes only, the `functions` may get there; a bucket made in this app gets a
   * lifecycle rule per prefix for what a crash leaves behind.
   */
  readonly largePayloadBucket?: s3.IBucket;
  /** How long such a left-behind object stays. @default one day */
  readonly largePayloadExpiration?: Duration;
  /**
   * OpenTelemetry variables for the container, e.g. `{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }`:
   * spans are exported when they ask for it (trace context propagates without them). The agent's own
   * settings are `config.amqp_lambda_agent.tracing` (`enabled`, `parent`, `settle_spans`).
   * @default none
   */
  readonly tracingEnvironment?: Readonly<Record<string, string>>;
}

/** The props with every default filled in and every number checked. */
export interface PollerSettings {
  minCapacity: number;
  maxCapacity: number;
  messagesPerTask: number;
  cpu: number;
  memoryLimitMiB: number;
  logRetention: logs.RetentionDays;
  secrets: Readonly<Record<string, ecs.Secret>>;
  tracingEnvironment: Readonly<Record<string, string>>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Fills in the defaults; a prop that cannot work throws an `Error` naming it. */
export function pollerSettings(props: AmqpLambdaPollerProps): PollerSettings {
  if ((props.vpc === undefined) === (props.cluster === undefined)) {
    throw new Error("AmqpLambdaPoller: give vpc (a new cluster in it) or cluster, one of them");
  }
  if (props.functions.length === 0) {
    throw new Error(
      "AmqpLambdaPoller: functions: list the functions the agents invoke (the task role may invoke only those)",
    );
  }
  const settings: PollerSettings = {
    minCapacity: props.minCapacity ?? 1,
    maxCapacity: props.maxCapacity ?? 4,
    messagesPerTask: props.messagesPerTask ?? 100,
    cpu: props.cpu ?? 256,
    memoryLimitMiB: props.memoryLimitMiB ?? 512,
    logRetention: props.logRetention ?? logs.RetentionDays.TWO_WEEKS,
    secrets: props.secrets ?? {},
    tracingEnvironment: props.tracingEnvironment ?? {},
  };
  const known = (value: number) => !Token.isUnresolved(value);
  if (known(settings.minCapacity) && !(Number.isInteger(settings.minCapacity) && settings.minCapacity >= 1)) {
    throw new Error(
      `AmqpLambdaPoller: minCapacity: expected a whole number, 1 or more (one poller stays connected), got ${settings.minCapacity}`,
    );
  }
  if (
    known(settings.maxCapacity) &&
    !(Number.isInteger(settings.maxCapacity) && settings.maxCapacity >= settings.minCapacity)
  ) {
    throw new Error(
      `AmqpLambdaPoller: maxCapacity: expected a whole number, at least minCapacity (${settings.minCapacity}), got ${settings.maxCapacity}`,
    );
  }
  if (known(settings.messagesPerTask) && !(settings.messagesPerTask > 0)) {
    throw new Error(
      `AmqpLambdaPoller: messagesPerTask: expected a number above 0, got ${settings.messagesPerTask}`,
    );
  }
  for (const name of Object.keys(settings.secrets)) {
    if (name === BROKER_URL_ENV || name === CONFIG_ENV) {
      throw new Error(
        `AmqpLambdaPoller: secrets.${name}: set by the construct${name === BROKER_URL_ENV ? " from brokerUrlSecret" : ""}; use another name`,
      );
    }
    if (!ENV_NAME.test(name)) {
      throw new Error(
        `AmqpLambdaPoller: secrets.${JSON.stringify(name)}: expected an environment variable name (letters, digits and _)`,
      );
    }
  }
  const tracingProblem = tracingEnvironmentProblem(
    Object.keys(settings.tracingEnvironment),
    "AmqpLambdaPoller: tracingEnvironment",
  );
  if (tracingProblem !== undefined) throw new Error(tracingProblem);
  return settings;
}
