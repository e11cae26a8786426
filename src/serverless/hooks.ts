import { isPlainObject } from "../shared/is-plain-object.js";
import { type AgentFile, buildAgentConfig, type GeneratedConfig, type Target } from "./build-agent-config.js";
import { BROKER_URL_ENV, deployResources } from "./cloudformation-resources.js";
import { functionsWithAmqpEvents } from "./collect-events.js";
import { OfflineAgent } from "./offline-agent.js";
import { AGENT_HTTP_PORT, offlineEnabled, type PluginOptions, readPluginOptions } from "./plugin-options.js";
import { redactAgentFile } from "./redact-config.js";
import type { ServerlessLike } from "./serverless-types.js";
import { validateAgentConfig } from "./validate-agent-config.js";

export type CliOptions = Record<string, unknown>;
export type TargetName = "offline" | "fargate";

/** The Fargate container's broker URL placeholder; the value comes from the secret. */
const BROKER_URL_PLACEHOLDER = `{{ env "${BROKER_URL_ENV}" }}`;

/** Builds and validates the agent config for one target (the messages are the CLI's). */
export function generate(
  serverless: ServerlessLike,
  targetName: TargetName,
  cliOptions: CliOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): GeneratedConfig & { options: PluginOptions } {
  const options = readPluginOptions(serverless.service.custom);
  const target: Target =
    targetName === "fargate"
      ? { host: BROKER_URL_PLACEHOLDER, httpAddress: `0.0.0.0:${AGENT_HTTP_PORT}` }
      : { endpoint: offlineEndpoint(serverless, cliOptions), httpAddress: options.offlineHttpAddress };
  const generated = buildAgentConfig(serverless, options, target);
  if (generated.events.length > 0) {
    const validationEnv =
      targetName === "fargate" ? { ...env, [BROKER_URL_ENV]: "amqp://broker.invalid:5672/" } : env;
    validateAgentConfig(generated.file, generated.events, validationEnv);
  }
  return { ...generated, options };
}

/** `serverless amqp-agent print [--target offline|fargate]`: the config, passwords redacted. */
export function printConfig(serverless: ServerlessLike, cliOptions: CliOptions): string {
  const target = cliOptions.target === "fargate" ? "fargate" : "offline";
  const { file, events } = generate(serverless, target, cliOptions);
  if (events.length === 0) return "no function has an amqp event";
  return JSON.stringify(redactAgentFile(file), null, 2);
}

/** `package:compileEvents`: adds the ECS Fargate poller to the stack (nothing without amqp events). */
export function compileDeployResources(serverless: ServerlessLike): string[] {
  const { file, events, options } = generate(serverless, "fargate");
  if (events.length === 0 || !options.deploy) return [];
  const template = serverless.service.provider.compiledCloudFormationTemplate;
  if (!template) throw new Error("no compiled CloudFormation template; is the provider aws?");
  const naming = serverless.getProvider?.("aws").naming;
  const functionLogicalIds = functionsWithAmqpEvents(events).map((key) =>
    naming ? naming.getLambdaLogicalId(key) : `${key}LambdaFunction`,
  );
  const resources = deployResources({ options, config: file, functionLogicalIds });
  Object.assign(template.Resources, resources);
  return Object.keys(resources);
}

/** `offline:start:init` (after serverless-offline's Lambda server is up): runs the agent beside it. */
export function startOfflineAgent(
  serverless: ServerlessLike,
  cliOptions: CliOptions,
  write?: (line: string) => void,
): OfflineAgent | undefined {
  const { file, events, options } = generate(serverless, "offline", cliOptions);
  if (events.length === 0 || !offlineEnabled(options, process.env)) return undefined;
  return OfflineAgent.start(file as AgentFile, write);
}

/** serverless-offline's Invoke API: `lambdaPort`/`host` from the command line, then custom.serverless-offline. */
export function offlineEndpoint(serverless: ServerlessLike, cliOptions: CliOptions): string {
  const custom = serverless.service.custom?.["serverless-offline"];
  const offline = isPlainObject(custom) ? custom : {};
  const port = cliOptions.lambdaPort ?? offline.lambdaPort ?? 3002;
  const host = String(cliOptions.host ?? offline.host ?? "localhost");
  const reachable = ["localhost", "0.0.0.0", "::", ""].includes(host) ? "127.0.0.1" : host;
  return `http://${reachable}:${port}`;
}
