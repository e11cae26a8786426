import { envPlaceholderName } from "../config/env-placeholders.js";
import {
  AGENT_HTTP_PORT,
  BROKER_URL_ENV,
  BROKER_URL_PLACEHOLDER,
  containerEnvironment,
  EMF_INTERVAL,
  PLACEHOLDER_BROKER_URL,
} from "../deploy/container-contract.js";
import { isPlainObject } from "../shared/is-plain-object.js";
import { type AgentFile, buildAgentConfig, type GeneratedConfig, type Target } from "./build-agent-config.js";
import { deployResources } from "./cloudformation-resources.js";
import { collectAmqpEvents, functionsWithAmqpEvents } from "./collect-events.js";
import { checkPassphrases } from "./container-secrets.js";
import { signsForLambda } from "./http-target.js";
import { largePayloadKmsKeys, largePayloadPlaces, largePayloadResources } from "./large-payload-resources.js";
import { OfflineAgent } from "./offline-agent.js";
import { offlineEnabled, type PluginOptions, readPluginOptions } from "./plugin-options.js";
import { redactAgentFile } from "./redact-config.js";
import {
  scrubInPlace,
  scrubText,
  secretForms,
  secretsInTemplates,
  urlPassword,
} from "./scrub-service-state.js";
import type { ServerlessLike } from "./serverless-types.js";
import { validateAgentConfig } from "./validate-agent-config.js";

export type CliOptions = Record<string, unknown>;
export type TargetName = "offline" | "fargate";

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
      ? fargateTarget(serverless, options)
      : { endpoint: offlineEndpoint(serverless, cliOptions), httpAddress: options.offlineHttpAddress };
  const generated = buildAgentConfig(serverless, options, target);
  if (generated.events.length > 0) {
    if (targetName === "fargate" && options.deploy) checkPassphrases(generated.events, options);
    const validationEnv = targetName === "fargate" ? fargateEnv(options, env) : env;
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
  const logicalId = (key: string) => (naming ? naming.getLambdaLogicalId(key) : `${key}LambdaFunction`);
  const functionLogicalIds = functionsWithAmqpEvents(events.filter((e) => e.fields.http === undefined)).map(
    logicalId,
  );
  const functionUrlLogicalIds = functionsWithAmqpEvents(
    events.filter((e) => signsForLambda(e.fields.http)),
  ).map(logicalId);
  const resources = deployResources({
    options,
    config: file,
    functionLogicalIds,
    functionUrlLogicalIds,
    metricsService: metricsService(serverless),
  });
  Object.assign(
    resources,
    largePayloadResources(largePayloadPlaces(file), options, template, largePayloadKmsKeys(file)),
  );
  Object.assign(template.Resources, resources);
  return Object.keys(resources);
}

/**
 * Before osls writes `.serverless/serverless-state.json` (the whole resolved service, `custom`
 * included, uploaded by `deploy`): masks every broker password and TLS passphrase, and any URL's
 * password, in the service. The templates are not rewritten; one that holds such a secret fails.
 */
export function scrubServiceState(serverless: ServerlessLike): void {
  const options = readPluginOptions(serverless.service.custom);
  const events = collectAmqpEvents(serverless);
  const secrets: string[] = [];
  for (const host of [options.host, ...events.flatMap((event) => hostList(event.fields.host))]) {
    const password = typeof host === "string" ? urlPassword(host) : undefined;
    if (password !== undefined) secrets.push(password);
  }
  for (const event of events) {
    const passphrase = isPlainObject(event.fields.tls) ? event.fields.tls.passphrase : undefined;
    if (typeof passphrase === "string" && envPlaceholderName(passphrase) === undefined)
      secrets.push(passphrase);
  }
  const forms = secretForms(secrets);
  const leaks = secretsInTemplates(serverless.service.provider, forms);
  if (leaks.length > 0) {
    throw new Error(
      `a broker password or TLS passphrase is in the CloudFormation template (${leaks.join(", ")}), which deploy uploads: pass it to the function from a secret instead (e.g. "{{resolve:secretsmanager:...}}")`,
    );
  }
  scrubInPlace(serverless.service, forms, new Set(["serverless", "package"]));
}

/** An error's message for the user, with any URL's password masked. */
export function errorMessage(error: unknown): string {
  return scrubText(error instanceof Error ? error.message : String(error), []);
}

/** `offline:start:init` (after serverless-offline's Lambda server is up): runs the agent beside it. */
export function startOfflineAgent(
  serverless: ServerlessLike,
  cliOptions: CliOptions,
  write?: (line: string) => void,
): OfflineAgent | undefined {
  const { file, events, options } = generate(serverless, "offline", cliOptions);
  if (events.length === 0 || !offlineEnabled(options, process.env)) return undefined;
  return OfflineAgent.start(file as AgentFile, write, options.tracing?.environment);
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

/** The container: broker URL from the secret, `/healthz` on loopback (all interfaces with `metricsPort`), EMF. */
function fargateTarget(serverless: ServerlessLike, options: PluginOptions): Target {
  return {
    host: BROKER_URL_PLACEHOLDER,
    httpAddress: `${options.metricsPort ? "0.0.0.0" : "127.0.0.1"}:${AGENT_HTTP_PORT}`,
    emf: options.emf
      ? {
          enabled: true,
          namespace: options.metricsNamespace,
          service: metricsService(serverless),
          interval: EMF_INTERVAL,
        }
      : { enabled: false },
  };
}

/**
 * The environment the container's config is checked against: deployed, exactly what ECS gives the
 * container (so a `{{ env }}` the task lacks fails `package`, not the task); with `deploy: false`
 * (the config runs elsewhere, e.g. Kubernetes) this machine's environment.
 */
function fargateEnv(options: PluginOptions, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!options.deploy) return { ...env, [BROKER_URL_ENV]: PLACEHOLDER_BROKER_URL };
  return containerEnvironment(options.environment, Object.keys(options.secrets));
}

/** `<service>-<stage>`: the EMF `Service` dimension. */
function metricsService(serverless: ServerlessLike): string {
  const stage = serverless.getProvider?.("aws").getStage?.() ?? serverless.service.provider.stage ?? "dev";
  return `${serverless.service.service ?? "service"}-${stage}`;
}

/** An event's `host`: one URL, or a list of cluster nodes' URLs. */
function hostList(host: unknown): unknown[] {
  return Array.isArray(host) ? host : [host];
}
