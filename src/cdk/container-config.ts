import { StringConcat, Token, Tokenization } from "aws-cdk-lib";
import { envPlaceholderName } from "../config/env-placeholders.js";
import { resolveConfig } from "../config/load-config.js";
import {
  AGENT_HTTP_PORT,
  BROKER_URL_PLACEHOLDER,
  containerEnvironment,
  EMF_INTERVAL,
} from "../deploy/container-contract.js";
import { ConfigError } from "../errors.js";
import { EMF_DEFAULT_NAMESPACE } from "../observability/emf.js";
import { isPlainObject } from "../shared/is-plain-object.js";
import { urlPassword } from "../shared/url-credentials.js";
import type { AgentConfigObject } from "./poller-props.js";

/** The container's config and what the construct's metrics and alarms read from it. */
export interface ContainerConfig {
  /** The config as the container gets it (may hold tokens: render it with `Stack.toJsonString`). */
  config: Record<string, unknown>;
  /** The EMF namespace the agent writes under. */
  namespace: string;
  /** Every backend's `function_name` (literal or token), to compare with the `functions` prop. */
  functionNames: unknown[];
}

/** Stands in for a token (a function name, an ARN) while the config is validated at synth. */
const TOKEN_STANDIN = "cdk-token";

/**
 * The agent config for the container: agents without `host` read the broker URL from `AMQP_URL`,
 * `/healthz` answers on 127.0.0.1:9464 (the health check), EMF lines carry `service`. A literal
 * password or TLS passphrase is refused (it would be in the template); the result is checked by the
 * agent's own loader, tokens standing in as "cdk-token", secrets as the container will see them.
 */
export function containerConfig(
  raw: AgentConfigObject,
  options: { service: string; secretNames: readonly string[] },
): ContainerConfig {
  if (!isPlainObject(raw) || !Array.isArray(raw.async_agent)) {
    throw new Error('AmqpLambdaPoller: config: expected the agent config, {"async_agent": [...]}');
  }
  const agentOptions = containerAgentOptions(raw.amqp_lambda_agent, options.service);
  const config = {
    ...raw,
    async_agent: raw.async_agent.map(containerAgent),
    amqp_lambda_agent: agentOptions,
  };
  validate(config, options.secretNames);
  return {
    config,
    namespace: agentOptions.emf.namespace,
    functionNames: raw.async_agent.flatMap(functionNamesOf),
  };
}

/** One agent: its literals refused, `host` (when absent) the broker URL secret's variable. */
function containerAgent(agent: unknown, index: number): unknown {
  const extra = isPlainObject(agent) && isPlainObject(agent.extra_config) ? agent.extra_config : {};
  const amqp = extra["async/amqp"];
  if (!isPlainObject(agent) || !isPlainObject(amqp)) return agent; // the loader says what is missing
  refuseLiterals(amqp, `async_agent[${index}].extra_config["async/amqp"]`);
  const host = amqp.host ?? BROKER_URL_PLACEHOLDER;
  return { ...agent, extra_config: { ...extra, "async/amqp": { ...amqp, host } } };
}

/** Every backend's `function_name` of one agent. */
function functionNamesOf(agent: unknown): unknown[] {
  const backends = isPlainObject(agent) && Array.isArray(agent.backend) ? agent.backend : [];
  return backends.flatMap((backend) => {
    const extra = isPlainObject(backend) && isPlainObject(backend.extra_config) ? backend.extra_config : {};
    const lambda = extra["backend/lambda"];
    return isPlainObject(lambda) ? [lambda.function_name] : [];
  });
}

/** `amqp_lambda_agent`: `/healthz` where the health check calls it, EMF on with the construct's service. */
function containerAgentOptions(
  raw: unknown,
  service: string,
): Record<string, unknown> & { emf: Record<string, unknown> & { namespace: string } } {
  const agentOptions = isPlainObject(raw) ? raw : {};
  const http = isPlainObject(agentOptions.http) ? agentOptions.http : {};
  const address = http.address ?? `127.0.0.1:${AGENT_HTTP_PORT}`;
  if (http.enabled === false || typeof address !== "string" || !address.endsWith(`:${AGENT_HTTP_PORT}`)) {
    throw new Error(
      `AmqpLambdaPoller: config.amqp_lambda_agent.http: the container's health check calls 127.0.0.1:${AGENT_HTTP_PORT}/healthz; keep http enabled on port ${AGENT_HTTP_PORT} (leave it out for 127.0.0.1:${AGENT_HTTP_PORT})`,
    );
  }
  const emf = isPlainObject(agentOptions.emf) ? agentOptions.emf : {};
  if (emf.enabled === false) {
    throw new Error(
      "AmqpLambdaPoller: config.amqp_lambda_agent.emf.enabled: the scaling policy and the alarms read the agent's EMF metrics; remove enabled: false",
    );
  }
  const namespace = typeof emf.namespace === "string" ? emf.namespace : EMF_DEFAULT_NAMESPACE;
  return {
    ...agentOptions,
    http: { ...http, enabled: true, address },
    emf: { ...emf, enabled: true, namespace, service, interval: EMF_INTERVAL },
  };
}

/** A password in a broker URL, or a TLS passphrase, must be a `{{ env "NAME" }}` (a secret). */
function refuseLiterals(amqp: Record<string, unknown>, at: string): void {
  const hosts = Array.isArray(amqp.host) ? amqp.host : [amqp.host];
  for (const [index, host] of hosts.entries()) {
    const password = typeof host === "string" ? urlPassword(host) : undefined;
    if (password !== undefined && envPlaceholderName(password) === undefined) {
      const path = Array.isArray(amqp.host) ? `${at}.host[${index}]` : `${at}.host`;
      throw new Error(
        `AmqpLambdaPoller: config.${path}: a literal password would be written into the task definition and the template; leave host out (the agent gets {{ env "AMQP_URL" }} from brokerUrlSecret), or write the password as {{ env "NAME" }} with NAME in secrets`,
      );
    }
  }
  const tls = amqp.tls;
  if (
    isPlainObject(tls) &&
    tls.passphrase !== undefined &&
    envPlaceholderName(tls.passphrase) === undefined
  ) {
    throw new Error(
      `AmqpLambdaPoller: config.${at}.tls.passphrase: a literal passphrase would be written into the task definition; write '{{ env "AMQP_KEY_PASSPHRASE" }}' and add AMQP_KEY_PASSPHRASE to secrets`,
    );
  }
}

/** The agent's loader on the config, with tokens replaced and the container's environment. */
function validate(config: Record<string, unknown>, secretNames: readonly string[]): void {
  try {
    resolveConfig(withoutTokens(config), containerEnvironment({}, secretNames));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new Error(`AmqpLambdaPoller: config${error.path ? "." : ": "}${error.message}`);
  }
}

function withoutTokens(value: unknown): unknown {
  if (typeof value === "string" && Token.isUnresolved(value)) {
    return Tokenization.reverseString(value)
      .mapTokens({ mapToken: () => TOKEN_STANDIN })
      .join(new StringConcat());
  }
  if (typeof value === "number" && Token.isUnresolved(value)) return 1;
  if (Array.isArray(value)) return value.map(withoutTokens);
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutTokens(item)]));
  }
  return value;
}
