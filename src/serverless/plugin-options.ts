import { z } from "zod";
import { TRACING_PARENTS } from "../config/schema.js";
import { STOP_TIMEOUT_SECONDS } from "../deploy/container-contract.js";
import { OTEL_VARIABLE_NAME } from "../deploy/tracing-environment.js";
import { EMF_DEFAULT_NAMESPACE } from "../observability/emf.js";
import { isPlainObject } from "../shared/is-plain-object.js";

export const CUSTOM_KEY = "amqpLambdaAgent";

/** A CloudFormation value: a literal or an intrinsic function such as `{"Fn::ImportValue": ...}`. */
const cfnValue = z.union([z.string(), z.record(z.string(), z.unknown())]);

/** `NAME: <ARN>`, NAME an environment variable name as ECS and the agent's `{{ env "NAME" }}` take it. */
const secretsSchema = z.record(z.string(), cfnValue).superRefine((secrets, context) => {
  for (const name of Object.keys(secrets)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      context.addIssue({
        code: "custom",
        path: [name],
        message: "expected an environment variable name (letters, digits and _)",
      });
    }
  }
});

const autoscalingSchema = z
  .strictObject({
    min: z
      .number({ error: "expected the fewest tasks (a whole number, 1 or more)" })
      .int()
      .min(1, { error: "at least 1: one poller stays connected" }),
    max: z.number({ error: "expected the most tasks (a whole number)" }).int().min(1),
    messagesPerTask: z
      .number({ error: "expected the outstanding messages one task should handle (a number above 0)" })
      .positive(),
  })
  .refine((value) => value.max >= value.min, { error: "max must be at least min", path: ["max"] });

/** The agent's tracing (`amqp_lambda_agent.tracing`) and the OTEL_* variables that turn span export on. */
const tracingSchema = z.strictObject({
  enabled: z.boolean({ error: "expected true or false" }).optional(),
  parent: z.enum(TRACING_PARENTS, { error: `expected one of ${TRACING_PARENTS.join(", ")}` }).optional(),
  settleSpans: z.boolean({ error: "expected true or false" }).optional(),
  /** `OTEL_*` variables for the deployed container and the offline agent (span export). */
  environment: z
    .record(z.string(), z.string({ error: "expected a string" }))
    .superRefine((variables, context) => {
      for (const name of Object.keys(variables)) {
        if (!OTEL_VARIABLE_NAME.test(name)) {
          context.addIssue({
            code: "custom",
            path: [name],
            message:
              "expected an OpenTelemetry variable (OTEL_ and upper-case letters, digits or _); put other variables in environment",
          });
        }
      }
    })
    .default({}),
});

/** `custom.amqpLambdaAgent` in serverless.yml; every key is optional. */
export const pluginOptionsSchema = z.strictObject({
  // Offline (serverless-offline): run the agent against the locally served functions.
  offline: z.boolean().default(true),
  offlineHttpAddress: z.string().optional(),
  // Every agent.
  host: z.string().optional(),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).optional(),
  summaryInterval: z.string().optional(),
  // Deploy (serverless package/deploy): an ECS Fargate service in the stack.
  deploy: z.boolean().default(true),
  image: z.string().min(1).optional(),
  cluster: cfnValue.optional(),
  brokerUrlSecret: cfnValue.optional(),
  /** More secrets for the container: `NAME: <Secrets Manager or SSM ARN>`. */
  secrets: secretsSchema.default({}),
  kmsKeyArn: cfnValue.optional(),
  desiredCount: z.number().int().min(0).optional(),
  autoscaling: autoscalingSchema.optional(),
  /** CloudWatch Embedded Metric Format lines from the agent (needed by `autoscaling`). */
  emf: z.boolean().default(true),
  metricsNamespace: z.string().min(1).default(EMF_DEFAULT_NAMESPACE),
  /** Expose 9464 (`/metrics`) on the task's network interface for a scraper; else loopback only. */
  metricsPort: z.boolean().default(false),
  cpu: z.union([z.number(), z.string()]).default(256),
  memory: z.union([z.number(), z.string()]).default(512),
  cpuArchitecture: z.enum(["X86_64", "ARM64"]).default("X86_64"),
  subnets: z.union([z.array(cfnValue), cfnValue]).optional(),
  securityGroups: z.union([z.array(cfnValue), cfnValue]).optional(),
  /** Without `securityGroups`: the VPC in which the plugin creates an egress-only security group. */
  vpcId: cfnValue.optional(),
  assignPublicIp: z.boolean().default(false),
  logRetentionInDays: z.number().int().min(1).default(14),
  stopTimeout: z.number().int().min(2).max(120).default(STOP_TIMEOUT_SECONDS),
  environment: z.record(z.string(), z.string()).default({}),
  /** `large_payload`: create the bucket the amqp events name, with a lifecycle rule for orphans. */
  largePayloadBucket: z
    .strictObject({
      create: z.boolean().default(false),
      expirationDays: z.number().int().min(1).default(1),
    })
    .optional(),
  tracing: tracingSchema.optional(),
});

export type PluginOptions = z.output<typeof pluginOptionsSchema>;

/** Reads `custom.amqpLambdaAgent`; throws an Error naming the offending key. */
export function readPluginOptions(custom: Record<string, unknown> | undefined): PluginOptions {
  const raw = custom?.[CUSTOM_KEY] ?? {};
  if (!isPlainObject(raw)) throw new Error(`custom.${CUSTOM_KEY}: expected an object`);
  const parsed = pluginOptionsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const keys = issue?.code === "unrecognized_keys" ? issue.keys : [];
  const path = [CUSTOM_KEY, ...(issue?.path ?? []).map(String), ...keys.slice(0, 1)].join(".");
  const message =
    keys.length > 0
      ? `unknown key "${keys[0]}"; known keys: ${knownKeysAt(issue?.path ?? []).join(", ")}`
      : (issue?.message ?? "invalid");
  throw new Error(`custom.${path}: ${message}`);
}

/** The keys of the object at `path` (the top level, or a nested object such as `tracing`). */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  const nested = path.length === 1 ? NESTED_OBJECTS[String(path[0])] : undefined;
  return Object.keys(nested?.shape ?? pluginOptionsSchema.shape);
}

const NESTED_OBJECTS: Record<string, { shape: object } | undefined> = {
  tracing: tracingSchema,
  autoscaling: autoscalingSchema,
};

/** `amqp_lambda_agent.tracing` from `tracing` (only the keys given: the agent's defaults for the rest). */
export function agentTracingOptions(tracing: PluginOptions["tracing"]): Record<string, unknown> | undefined {
  if (tracing === undefined) return undefined;
  const options: Record<string, unknown> = {};
  if (tracing.enabled !== undefined) options.enabled = tracing.enabled;
  if (tracing.parent !== undefined) options.parent = tracing.parent;
  if (tracing.settleSpans !== undefined) options.settle_spans = tracing.settleSpans;
  return Object.keys(options).length > 0 ? options : undefined;
}

/** `AMQP_LAMBDA_AGENT_OFFLINE=false` (or 0/no/off) turns the offline agent off, whatever serverless.yml says. */
export function offlineEnabled(options: PluginOptions, env: NodeJS.ProcessEnv): boolean {
  const flag = env.AMQP_LAMBDA_AGENT_OFFLINE?.trim().toLowerCase();
  if (flag && ["false", "0", "no", "off"].includes(flag)) return false;
  return options.offline;
}
