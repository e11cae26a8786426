import type { BackoffStrategy } from "../shared/backoff.js";
import type { HttpBackendConfig } from "./http-backend-types.js";
import type {
  EVENT_FORMATS,
  EXCHANGE_TYPES,
  FAILURE_POLICIES,
  INVOKE_CLIENTS,
  LARGE_PAYLOAD_CLEANUPS,
  SERVER_SIDE_ENCRYPTIONS,
  TRACING_PARENTS,
} from "./schema.js";

export type { BackoffStrategy } from "../shared/backoff.js";
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];
export type EventFormat = (typeof EVENT_FORMATS)[number];
export type ExchangeType = (typeof EXCHANGE_TYPES)[number];
export type InvokeClient = (typeof INVOKE_CLIENTS)[number];
export type TracingParent = (typeof TRACING_PARENTS)[number];

export interface TlsConfig {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  passphrase?: string;
  serverName?: string;
  rejectUnauthorized: boolean;
}

/** A queue binding on the agent's exchange. */
export interface Binding {
  routingKey: string;
  arguments: Record<string, unknown>;
}

/** A broker-side wait before a failed message is tried again (`retry_delays`). */
export interface RetryStep {
  delayMs: number;
  /** The retry queue: `<queue>.retry.<delay>`. */
  queue: string;
  /** Its binding key on the agent's exchange. */
  routingKey: string;
}

/** Which part of a message orders it (`consumer.order_key`). */
export type OrderKey =
  | { from: "routing_key" }
  | { from: "header"; name: string }
  | { from: "body"; path: string[] };

export interface CircuitBreakerConfig {
  enabled: boolean;
  /** Consecutive invocations failed with a platform (systemic) error that open the breaker. */
  failureThreshold: number;
  /** Function errors on at least this share of at least `functionErrorMinMessages` messages within `windowMs`. */
  functionErrorRatio: number;
  functionErrorMinMessages: number;
  windowMs: number;
  probeIntervalMs: number;
  maxProbeIntervalMs: number;
}

/** `backend/lambda.large_payload`: the S3 claim check of bodies too large for an invocation. */
export interface LargePayloadSettings {
  bucket: string;
  keyPrefix: string;
  /** Bodies over this many bytes go to S3; `undefined`: those whose record would not fit one invocation. */
  threshold: number | undefined;
  /** Every body goes to S3 (a publisher's own pointer excepted). */
  always: boolean;
  /** Defaults to the Lambda backend's region. */
  region: string | undefined;
  endpoint: string | undefined;
  forcePathStyle: boolean;
  cleanup: (typeof LARGE_PAYLOAD_CLEANUPS)[number];
  sse: (typeof SERVER_SIDE_ENCRYPTIONS)[number] | undefined;
  kmsKeyId: string | undefined;
}

/** A piece of the reply's routing key template: literal text, the input's routing key, or a header. */
export type RoutingKeyPart = { text: string } | { from: "routing_key" } | { from: "header"; name: string };

/** `async/amqp.reply`: where the function's result is published. */
export interface ReplyConfig {
  /** `reply_to`: to the default exchange, to each message's `reply_to`; `exchange`: to `exchange`. */
  mode: "reply_to" | "exchange";
  /** The results exchange (never declared by the agent); `""` in `reply_to` mode. */
  exchange: string;
  routingKey: RoutingKeyPart[];
  routingKeyTemplate: string;
  persistent: boolean;
  /** `undefined`: the backend's response content type. */
  contentType: string | undefined;
  headers: Record<string, string | number | boolean>;
  /** With several backends: whose response is the reply (index). */
  backend: number;
  /** Per-message TTL of a reply (`expiration`). */
  expirationMs: number | undefined;
  /** `error_reply`: a dead-lettered message gets an error reply (best effort, at most once). */
  onFailure: "none" | "error_reply";
}

/** `backend/lambda`: one Lambda function. */
export interface LambdaSettings {
  functionName: string;
  region: string | undefined;
  endpoint: string | undefined;
  maxRetries: number;
  batchSize: number;
  batchWindowMs: number;
  eventFormat: EventFormat;
  /** Validated event patterns; `undefined`: every message is invoked. */
  filterPatterns: unknown[] | undefined;
  client: InvokeClient;
  /** `large_payload`: bodies too large for an invocation go to S3 (`undefined`: not configured). */
  largePayload: LargePayloadSettings | undefined;
}

/** One backend entry of an agent: a Lambda function, or an HTTP endpoint. */
export type BackendConfig =
  | { kind: "lambda"; at: string; lambda: LambdaSettings }
  | { kind: "http"; at: string; http: HttpBackendConfig; notes: string[]; warnings: string[] };

/** One agent, fully defaulted and validated. Durations are milliseconds. */
export interface AgentConfig {
  name: string;
  connection: {
    /** Reconnect rounds over the host list; `Infinity` when the file says 0 or less. */
    maxRetries: number;
    backoffStrategy: BackoffStrategy;
    healthIntervalMs: number;
  };
  consumer: {
    workers: number;
    timeoutMs: number;
    /** Messages per second for the whole agent; 0 means unlimited. */
    maxRate: number;
    drainTimeoutMs: number;
    orderKey: OrderKey | undefined;
  };
  /** The first Lambda backend, if the agent has one. */
  lambda: LambdaSettings | undefined;
  /** Every backend, in the file's order: a message succeeds when every one that wants it succeeded. */
  backends: BackendConfig[];
  /** What the pipeline takes from the backends: batches (one backend only) and in-process retries. */
  delivery: {
    batchSize: number;
    batchWindowMs: number;
    /** The largest `max_retries` of the backends. */
    maxRetries: number;
    /** `proxy.sequential`: several backends called in order, stopping at the first failure. */
    sequential: boolean;
  };
  amqp: {
    /** Every node's URL, in the order given; the first names the event source. */
    urls: string[];
    queue: string;
    exchange: string;
    exchangeType: ExchangeType;
    /** Every binding of the queue: `consumer.topic` first (unless the exchange is `headers`), then `bindings`. */
    bindings: Binding[];
    /** false: declare nothing, check passively that it all exists. */
    declare: boolean;
    durable: boolean;
    autoDelete: boolean;
    exclusive: boolean;
    noWait: boolean;
    /** basic.qos sent to the broker (never 0 with manual acks: the agent's back-pressure). */
    prefetchCount: number;
    /** `prefetch_count` as the file says it. */
    requestedPrefetchCount: number;
    prefetchSize: number;
    noLocal: boolean;
    autoAck: boolean;
    failurePolicy: FailurePolicy;
    deadLetterQueue: string;
    /** The agent's own direct exchange: dead letters and retries are published through it. */
    agentExchange: string;
    retrySteps: RetryStep[];
    /**
     * Where a message goes after failing a circuit-breaker probe while the breaker is open on
     * function errors (`<queue>.retry.setaside`: TTL 0, dead-lettering back to the queue's tail);
     * `undefined` with `order_key` (a lane keeps its head) or without the breaker.
     */
    setAside: { queue: string; routingKey: string } | undefined;
    requeueDelayMs: number;
    queueArguments: Record<string, unknown>;
    /** Most messages held (received, not yet settled); with `auto_ack` consuming pauses there. */
    maxBacklog: number;
    /** The broker's `consumer_timeout`: a delivery unacked longer closes its channel. */
    consumerTimeoutMs: number;
    circuitBreaker: CircuitBreakerConfig;
    tls: TlsConfig | undefined;
    /** Publish the function's result (`undefined`: no replies). */
    reply: ReplyConfig | undefined;
  };
}

export interface EmfOptions {
  enabled: boolean | "auto";
  namespace: string;
  service: string | undefined;
  intervalMs: number;
}

/** `amqp_lambda_agent.tracing`: where spans go is the standard OTEL_* variables' business. */
export interface TracingConfig {
  /** false: no trace header is read or written, no span recorded. */
  enabled: boolean;
  /** One message's CONSUMER span: `child` of the message's context, or `link`ed from a trace of its own. */
  parent: TracingParent;
  /** A span per settlement (ack, copy, requeue…) when spans are exported. */
  settleSpans: boolean;
  /** The file has KrakenD's `telemetry/opentelemetry` block: accepted and ignored (said once at start). */
  krakendTelemetry: boolean;
}

export interface AgentOptions {
  http: { enabled: boolean; host: string; port: number; unhealthyAfterMs: number };
  logLevel: string | undefined;
  summaryIntervalMs: number;
  emf: EmfOptions;
  tracing: TracingConfig;
}

export interface LoadedConfig {
  agents: AgentConfig[];
  options: AgentOptions;
  /** Passwords of every broker URL and TLS passphrases: never logged. */
  secrets: string[];
}
