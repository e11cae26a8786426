import type amqplib from "amqplib";
import type { ConsumeMessage } from "amqplib";
import { brokerAddress, type TlsMaterial, vhostOf } from "../amqp/connect-options.js";
import type { ConsumerSession } from "../amqp/consumer-session.js";
import type { Backend } from "../backends/backend.js";
import { createFanOut } from "../backends/fan-out.js";
import { createHttpBackend } from "../backends/http/index.js";
import { eventEnvelope } from "../backends/lambda/event-bytes.js";
import { createLambdaBackend } from "../backends/lambda/lambda-backend.js";
import type { Orphan } from "../backends/lambda/large-payload/large-payload.js";
import type { AgentConfig } from "../config/types.js";
import { compileFilterPatterns } from "../filter/index.js";
import { Intake } from "../intake/intake.js";
import type { LogThrottle } from "../observability/log-throttle.js";
import type { Logger } from "../observability/logger.js";
import type { AgentMetrics, Metrics } from "../observability/metrics.js";
import { runBatch } from "../pipeline/batch-run.js";
import { Scheduler } from "../pipeline/scheduler.js";
import { CircuitBreaker, type CircuitTransition } from "../policy/circuit-breaker.js";
import { ConcurrencyLimit } from "../policy/concurrency-limit.js";
import { policyOf } from "../policy/decide.js";
import { RateLimiter } from "../policy/rate-limiter.js";
import { type ReplyPublisher, ReplySender } from "../settle/reply-sender.js";
import { type CopyPublisher, Settler, type SettlerOptions } from "../settle/settler.js";
import { retryDelayMs } from "../shared/backoff.js";
import { TRACING_OFF, type Tracing } from "../tracing/index.js";

/**
 * Tests: a backend of their own instead of the config's, and a scripted broker (`connect`, amqplib's
 * otherwise); the process's tracing (off when absent).
 */
export type AgentSeams = Pick<PipelineWiring, "backend" | "tracing"> & { connect?: typeof amqplib.connect };

/** What an agent is made of: its config, the process's metrics registry, its logger and TLS files. */
export interface AgentOptions extends AgentSeams {
  config: AgentConfig;
  registry: Metrics;
  log: Logger;
  tls: TlsMaterial;
}

export interface PipelineParts {
  backend: Backend;
  breaker: CircuitBreaker;
  limit: ConcurrencyLimit;
  intake: Intake;
  scheduler: Scheduler;
  /** Publishes replies; `undefined` without `reply`. */
  replies?: ReplySender | undefined;
}

export interface PipelineWiring {
  config: AgentConfig;
  metrics: AgentMetrics;
  log: Logger;
  throttle: LogThrottle;
  /** Publishes copies through the agent's publishing connection. */
  publish: CopyPublisher;
  /** Publishes replies on a channel of their own (`reply` configured). */
  publishReply?: ReplyPublisher;
  onCircuit(transition: CircuitTransition): void;
  onHeldChange(held: number): void;
  onProbeStarved(): void;
  /** Tests: a backend of their own. */
  backend?: Backend;
  /** The process's tracing (off when absent). */
  tracing?: Tracing;
}

export type OrphanHandler = (orphan: Orphan) => void;

/** An uploaded body the agent could not delete: counted, and said (the bucket's lifecycle rule removes it). */
export function reportOrphan(orphan: Orphan, metrics: AgentMetrics, log: Logger): void {
  metrics.largePayloadOrphans.inc();
  log.warn(
    { bucket: orphan.bucket, key: orphan.key, errorType: orphan.failure.errorType },
    `could not delete s3://${orphan.bucket}/${orphan.key} after 4 tries (${orphan.failure.message}); the bucket's lifecycle rule removes it`,
  );
}

/** The backends an agent config names; several become one fan-out. */
export function backendOf(
  config: AgentConfig,
  options: { env?: NodeJS.ProcessEnv; onOrphan?: OrphanHandler } = {},
): Backend {
  const { env = process.env, onOrphan } = options;
  const { amqp, consumer, delivery } = config;
  const members = config.backends.map((entry): Backend => {
    if (entry.kind === "http") {
      return createHttpBackend(entry.http, { workers: consumer.workers, env });
    }
    return createLambdaBackend({
      ...entry.lambda,
      timeoutMs: consumer.timeoutMs,
      sockets: consumer.workers,
      onOrphan,
      env,
      replies: amqp.reply !== undefined,
      envelope: eventEnvelope({
        queue: amqp.queue,
        vhost: vhostOf(amqp.urls[0] as string),
        sourceArn: brokerAddress(amqp.urls[0] as string),
      }),
    });
  });
  const [only] = members;
  if (members.length === 1 && only) return only;
  return createFanOut(members, { sequential: delivery.sequential, replyBackend: amqp.reply?.backend });
}

/** Each backend's filter, in order (`undefined`: it wants every message). */
function filtersOf(config: AgentConfig) {
  return config.backends.map((entry) => {
    const patterns = entry.kind === "lambda" ? entry.lambda.filterPatterns : entry.http.filterPatterns;
    return patterns ? compileFilterPatterns(patterns) : undefined;
  });
}

/** Builds an agent's message pipeline: intake → scheduler (policy) → backend → settler. */
export function buildPipeline(wiring: PipelineWiring): PipelineParts {
  const { config, metrics, log, throttle } = wiring;
  const { consumer, amqp } = config;
  const backend = wiring.backend ?? backendOf(config);
  let replies: ReplySender | undefined;
  const breaker = new CircuitBreaker(amqp.circuitBreaker, undefined, (transition) => {
    wiring.onCircuit(transition);
    replies?.wake();
  });
  const limit = new ConcurrencyLimit(consumer.workers);
  const intake = new Intake({
    config,
    filters: filtersOf(config),
    batchSize: backend.batchSize,
    maxRetries: backend.maxRetries,
    log,
  });
  const limiter = new RateLimiter(consumer.maxRate);
  const finishesDeadChannels = amqp.autoAck;
  const traced = { tracing: wiring.tracing ?? TRACING_OFF, destination: amqp.queue };
  const policy = policyOf(amqp, backend.maxRetries, retryDelayMs);
  let scheduler: Scheduler | undefined;
  const decide: SettlerOptions["decide"] = (held, happening) =>
    (scheduler as Scheduler).decide(held, happening);
  if (amqp.reply && wiring.publishReply) {
    const { publishReply: publish } = wiring;
    replies = new ReplySender({ publish, reply: amqp.reply, breaker, metrics, log, throttle, decide });
  }
  const settler = new Settler({
    config,
    backendLabel: backend.label,
    metrics,
    log,
    throttle,
    publish: wiring.publish,
    decide,
    replies,
  });
  scheduler = new Scheduler({
    backend,
    policy,
    breaker,
    limit,
    settler,
    run: (batch) =>
      runBatch(batch, { backend, limiter, metrics, log, throttle, finishesDeadChannels, ...traced }),
    workers: consumer.workers,
    metrics,
    log,
    onHeldChange: wiring.onHeldChange,
    onProbeStarved: wiring.onProbeStarved,
    reply: replies && amqp.reply,
    replies,
  });
  return { backend, breaker, limit, intake, scheduler, replies };
}

/** What the pipeline shows in an agent's status. */
export function pipelineStatus(parts: PipelineParts) {
  const { scheduler, breaker, limit } = parts;
  return {
    inFlight: scheduler.inFlight,
    held: scheduler.heldCount,
    phases: scheduler.phaseCounts(),
    ...(parts.replies ? { heldReplies: parts.replies.held } : {}),
    circuit: breaker.state,
    concurrencyLimit: limit.limit,
  };
}

/** Order-key lanes waiting, and how long the oldest held message has waited. */
export function pipelineWaits(parts: PipelineParts): { lanes: number; oldestWaitMs: number } {
  const { lanes } = parts.scheduler.laneWaits();
  const oldest = parts.scheduler.oldestReceivedAt;
  return { lanes, oldestWaitMs: oldest === undefined ? 0 : performance.now() - oldest };
}

/** A delivery enters the pipeline; one arriving while the agent stops (`stopping`) is settled at once. */
export function admitDelivery(
  parts: PipelineParts,
  delivery: { message: ConsumeMessage; session: ConsumerSession },
  stopping: "draining" | "closed" | undefined,
): void {
  const { held, filtered } = parts.intake.admit(delivery.message, delivery.session);
  if (stopping)
    parts.scheduler.admit(held, { kind: "arrived_while_stopping", closed: stopping === "closed" });
  else parts.scheduler.admit(held, filtered ? { kind: "filtered" } : undefined);
}
