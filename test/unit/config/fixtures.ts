import { SEED_AMQP_FLAGS } from "../../helpers/seed.js";

/** The seed document's exact async/amqp example, inside a minimal agent. */
export function seedAgent(
  overrides: {
    amqp?: Record<string, unknown>;
    lambda?: Record<string, unknown>;
    agent?: Record<string, unknown>;
  } = {},
): Record<string, unknown> {
  return {
    name: "cool-agent",
    consumer: { topic: "*", workers: 5, timeout: "1s", max_rate: 5 },
    connection: { max_retries: 10, backoff_strategy: "exponential", health_interval: "10s" },
    backend: [
      {
        host: ["http://127.0.0.1:8080"],
        url_pattern: "/__debug/",
        method: "POST",
        encoding: "json",
        extra_config: {
          "backend/lambda": {
            function_name: "my-fn",
            region: "eu-west-1",
            max_retries: 1,
            endpoint: "http://localhost:3002",
            ...overrides.lambda,
          },
          "qos/ratelimit/proxy": { max_rate: 1 },
        },
      },
    ],
    extra_config: {
      "async/amqp": {
        host: "amqp://guest:guest@localhost:5672/",
        name: "krakend",
        exchange: "foo",
        ...SEED_AMQP_FLAGS,
        ...overrides.amqp,
      },
      "telemetry/logging": { level: "DEBUG" },
    },
    ...overrides.agent,
  };
}

export function file(...agents: unknown[]): Record<string, unknown> {
  return { version: 3, endpoints: [], async_agent: agents };
}
