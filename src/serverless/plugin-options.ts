import { z } from "zod";
import { isPlainObject } from "../shared/is-plain-object.js";

export const CUSTOM_KEY = "amqpLambdaAgent";
export const DEFAULT_IMAGE = "amqp-lambda-agent:latest";
export const AGENT_HTTP_PORT = 9464;

/** A CloudFormation value: a literal or an intrinsic function such as `{"Fn::ImportValue": ...}`. */
const cfnValue = z.union([z.string(), z.record(z.string(), z.unknown())]);

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
  image: z.string().min(1).default(DEFAULT_IMAGE),
  cluster: cfnValue.optional(),
  brokerUrlSecret: cfnValue.optional(),
  kmsKeyArn: cfnValue.optional(),
  desiredCount: z.number().int().min(0).default(1),
  cpu: z.union([z.number(), z.string()]).default(256),
  memory: z.union([z.number(), z.string()]).default(512),
  cpuArchitecture: z.enum(["X86_64", "ARM64"]).default("X86_64"),
  subnets: z.union([z.array(cfnValue), cfnValue]).optional(),
  securityGroups: z.union([z.array(cfnValue), cfnValue]).optional(),
  assignPublicIp: z.boolean().default(false),
  logRetentionInDays: z.number().int().min(1).default(14),
  stopTimeout: z.number().int().min(2).max(120).default(60),
  environment: z.record(z.string(), z.string()).default({}),
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
      ? `unknown key "${keys[0]}"; known keys: ${Object.keys(pluginOptionsSchema.shape).join(", ")}`
      : (issue?.message ?? "invalid");
  throw new Error(`custom.${path}: ${message}`);
}

/** `AMQP_LAMBDA_AGENT_OFFLINE=false` (or 0/no/off) turns the offline agent off, whatever serverless.yml says. */
export function offlineEnabled(options: PluginOptions, env: NodeJS.ProcessEnv): boolean {
  const flag = env.AMQP_LAMBDA_AGENT_OFFLINE?.trim().toLowerCase();
  if (flag && ["false", "0", "no", "off"].includes(flag)) return false;
  return options.offline;
}
