/**
 * What the agent's container expects from whatever deploys it on ECS (the Serverless plugin, the CDK
 * construct): where its config and broker URL come from, where `/healthz` answers, how often it
 * writes its EMF line. Defined once, so both deploy the same container.
 */

export const CONTAINER_NAME = "amqp-lambda-agent";
/** The broker URL (or a JSON array of the nodes' URLs), injected from Secrets Manager or SSM. */
export const BROKER_URL_ENV = "AMQP_URL";
/** The container reads its config (the JSON itself) from this variable. */
export const CONFIG_ENV = "AMQP_LAMBDA_AGENT_CONFIG_JSON";
/** An agent's `host` in the container: the secret's value, never the URL itself. */
export const BROKER_URL_PLACEHOLDER = `{{ env "${BROKER_URL_ENV}" }}`;
/** Stands in for the secret's value while the container's config is validated at deploy time. */
export const PLACEHOLDER_BROKER_URL = "amqp://broker.invalid:5672/";
/** `/healthz`, `/readyz` and `/metrics` (`amqp_lambda_agent.http.address`). */
export const AGENT_HTTP_PORT = 9464;
/** Seconds ECS waits after SIGTERM before killing the container: the agent drains in-flight invocations. */
export const STOP_TIMEOUT_SECONDS = 60;
/** How often the container writes its EMF line: one data point per scaling period (60 s). */
export const EMF_INTERVAL = "60s";

/** `/healthz` on the container's loopback (Node's fetch: the image has no curl), times in seconds. */
export const HEALTH_CHECK = {
  command: [
    "CMD",
    "node",
    "-e",
    `fetch("http://127.0.0.1:${AGENT_HTTP_PORT}/healthz").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
  ],
  intervalSeconds: 30,
  timeoutSeconds: 5,
  retries: 3,
  startPeriodSeconds: 30,
} as const;

/**
 * The environment the container's config is checked against at deploy time: what ECS gives the
 * container (so a `{{ env }}` the task lacks fails the deploy, not the task), each secret standing
 * in as `secret-<NAME>`.
 */
export function containerEnvironment(
  environment: Readonly<Record<string, string>>,
  secretNames: Iterable<string>,
): NodeJS.ProcessEnv {
  const secrets = Object.fromEntries([...secretNames].map((name) => [name, `secret-${name}`]));
  return {
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    ...environment,
    ...secrets,
    [BROKER_URL_ENV]: PLACEHOLDER_BROKER_URL,
  };
}
