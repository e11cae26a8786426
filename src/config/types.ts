import type { BACKOFF_STRATEGIES, EVENT_FORMATS, FAILURE_POLICIES } from "./schema.js";

export type BackoffStrategy = (typeof BACKOFF_STRATEGIES)[number];
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];
export type EventFormat = (typeof EVENT_FORMATS)[number];

export interface TlsConfig {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  passphrase?: string;
  serverName?: string;
  rejectUnauthorized: boolean;
}

/** One agent, fully defaulted and validated. Durations are milliseconds. */
export interface AgentConfig {
  name: string;
  connection: {
    /** Reconnect attempts; `Infinity` when the file says 0 or less. */
    maxRetries: number;
    backoffStrategy: BackoffStrategy;
    healthIntervalMs: number;
  };
  consumer: {
    topic: string;
    workers: number;
    timeoutMs: number;
    /** Messages per second for the whole agent; 0 means unlimited. */
    maxRate: number;
    drainTimeoutMs: number;
  };
  lambda: {
    functionName: string;
    region: string | undefined;
    endpoint: string | undefined;
    maxRetries: number;
    batchSize: number;
    batchWindowMs: number;
    eventFormat: EventFormat;
  };
  amqp: {
    url: string;
    queue: string;
    exchange: string;
    durable: boolean;
    autoDelete: boolean;
    exclusive: boolean;
    noWait: boolean;
    /** basic.qos sent to the broker: `prefetch_count`, raised to `batch_size × workers` so batches can fill. */
    prefetchCount: number;
    /** `prefetch_count` as the file says it (0: no basic.qos). */
    requestedPrefetchCount: number;
    prefetchSize: number;
    noLocal: boolean;
    autoAck: boolean;
    failurePolicy: FailurePolicy;
    /** Present when `failurePolicy` is `dead_letter`. */
    deadLetterQueue: string;
    requeueDelayMs: number;
    queueArguments: Record<string, unknown>;
    /** Most messages held in the agent (received, not yet settled) before consuming pauses. */
    maxBacklog: number;
    tls: TlsConfig | undefined;
  };
}

export interface AgentOptions {
  http: { enabled: boolean; host: string; port: number };
  logLevel: string | undefined;
  summaryIntervalMs: number;
}

export interface LoadedConfig {
  agents: AgentConfig[];
  options: AgentOptions;
  /** Every secret found while loading (passwords, substituted env values): never logged. */
  secrets: string[];
}
