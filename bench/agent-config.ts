import { AMQP_URL, type BenchQueue } from "./broker.js";
import { replyConfig } from "./replies.js";

export interface AgentSettings {
  queue: BenchQueue;
  functionName: string;
  endpoint: string;
  workers: number;
  prefetch: number;
  batchSize: number;
  batchWindow: string;
  eventFormat: "rmq" | "body";
  client: "http" | "sdk";
  /** An HTTP backend posting each body to the stub's Invoke URL, instead of `backend/lambda`. */
  http?: boolean;
  /** `amqp_lambda_agent.tracing.enabled` (default true). */
  tracing?: boolean;
}

/** A real agent config file (KrakenD async_agent shape) for one benchmark run. */
export function agentConfig(s: AgentSettings): Record<string, unknown> {
  return {
    async_agent: [
      {
        name: `bench-${s.queue.queue}`,
        connection: { max_retries: 0, backoff_strategy: "fallback", health_interval: "5s" },
        consumer: { topic: "#", workers: s.workers, timeout: "30s", drain_timeout: "10s" },
        backend: [
          s.http
            ? { host: [s.endpoint], url_pattern: invokePath(s.functionName), method: "POST" }
            : {
                host: ["http://ignored"],
                url_pattern: "/",
                extra_config: {
                  "backend/lambda": {
                    function_name: s.functionName,
                    region: "us-east-1",
                    endpoint: s.endpoint,
                    batch_size: s.batchSize,
                    batch_window: s.batchWindow,
                    event_format: s.eventFormat,
                    client: s.client,
                  },
                },
              },
        ],
        extra_config: {
          "async/amqp": {
            host: AMQP_URL,
            name: s.queue.queue,
            exchange: s.queue.exchange,
            durable: false,
            delete: false,
            prefetch_count: s.prefetch,
            ...(s.queue.replies ? { reply: replyConfig(s.queue.replies) } : {}),
          },
        },
      },
    ],
    amqp_lambda_agent: {
      http: { enabled: false },
      summary_interval: "1h",
      log_level: "warn",
      tracing: { enabled: s.tracing ?? true },
    },
  };
}

/** Environment shared by agent and baseline: the stub accepts any signature. */
export function awsEnv(): NodeJS.ProcessEnv {
  return {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

/** The Invoke API's path for a function: the stub answers a plain POST there as an HTTP endpoint. */
export function invokePath(functionName: string): string {
  return `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
}
