import { AMQP_URL } from "./broker.js";
import { LAMBDA_ENDPOINT, PROBE_FUNCTION } from "./probe.js";

export interface TestAgentOptions {
  name?: string;
  exchange: string;
  queue: string;
  topic?: string;
  amqp?: Record<string, unknown>;
  consumer?: Record<string, unknown>;
  connection?: Record<string, unknown>;
  lambda?: Record<string, unknown>;
  options?: Record<string, unknown>;
}

/** A krakend-style config with one agent that invokes the probe function served by serverless-offline. */
export function agentConfig(o: TestAgentOptions): Record<string, unknown> {
  return {
    async_agent: [
      {
        name: o.name ?? `agent-${o.queue}`,
        connection: { max_retries: 0, backoff_strategy: "fallback", health_interval: "1s", ...o.connection },
        consumer: { topic: o.topic ?? "#", workers: 5, timeout: "5s", ...o.consumer },
        backend: [
          {
            host: ["http://ignored"],
            url_pattern: "/",
            extra_config: {
              "backend/lambda": {
                function_name: PROBE_FUNCTION,
                region: "us-east-1",
                endpoint: LAMBDA_ENDPOINT,
                ...o.lambda,
              },
            },
          },
        ],
        extra_config: {
          "async/amqp": {
            host: AMQP_URL,
            name: o.queue,
            exchange: o.exchange,
            durable: false,
            delete: false,
            prefetch_count: 10,
            ...o.amqp,
          },
        },
      },
    ],
    amqp_lambda_agent: { http: { enabled: false }, summary_interval: "2s", ...o.options },
  };
}
