/**
 * Scripted stand-ins for the pipeline's neighbours, shared by the unit tests of the scheduler, the
 * settler, the intake, batch runs and the health watch: a consumer session and a publisher that
 * record what they are told, a backend that answers what the test says, a logger and metrics that
 * can be read back, a real agent config, and a clock moved by hand (node:test's mock timers).
 */
import type { TestContext } from "node:test";
import type { ConsumeMessage, Options } from "amqplib";
import pino, { type Logger } from "pino";
import type { PublishResult } from "../../../src/amqp/confirmed-publish.js";
import type { ConsumerSession } from "../../../src/amqp/consumer-session.js";
import type {
  Backend,
  CallReport,
  Failure,
  FailureKind,
  FailureScope,
  MessageOutcome,
  OutgoingMessage,
  SendExtras,
  SendReport,
} from "../../../src/backends/backend.js";
import { resolveConfig } from "../../../src/config/index.js";
import type { AgentConfig, CircuitBreakerConfig } from "../../../src/config/types.js";
import type { RetryState } from "../../../src/copies/retry-route.js";
import { HeldMessage } from "../../../src/held/held-message.js";
import { type AgentMetrics, Metrics } from "../../../src/observability/metrics.js";
import type { Happening, Policy } from "../../../src/policy/decide.js";
import type { CopyPublisher } from "../../../src/settle/settler.js";
import { fakeMessage } from "../amqp-fixtures.js";
import { file, seedAgent } from "../config/fixtures.js";

/** A promise the test settles by hand. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise reaction run (one turn of the event loop; setImmediate is never mocked here). */
export const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A clock moved by hand: `setTimeout`, `setInterval` and `Date` mocked for this test; `now()` is the
 * mocked `Date.now()`, handed to the code under test as its `now` option.
 */
export function fakeClock(t: TestContext, start = 1_000) {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"], now: start });
  return {
    now: () => Date.now(),
    /** Moves time on, running the timers that fall due, then lets their promise reactions run. */
    async tick(ms: number): Promise<void> {
      t.mock.timers.tick(ms);
      await turn();
    },
  };
}

/** A consumer session that records the settlements and health checks it is asked for. */
export class FakeSession {
  alive = true;
  /** `[method, deliveryTag]`, in order. */
  readonly calls: Array<[string, number]> = [];
  readonly checks: number[] = [];
  checkAnswer: () => Promise<number> = async () => 0;

  constructor(readonly name = "session") {}

  get asSession(): ConsumerSession {
    return this as unknown as ConsumerSession;
  }

  ack(message: ConsumeMessage): boolean {
    return this.record("ack", message);
  }

  giveBack(message: ConsumeMessage): boolean {
    return this.record("giveBack", message);
  }

  requeue(message: ConsumeMessage): boolean {
    return this.record("requeue", message);
  }

  reject(message: ConsumeMessage): boolean {
    return this.record("reject", message);
  }

  checkQueue(timeoutMs: number): Promise<number> {
    this.checks.push(timeoutMs);
    return this.checkAnswer();
  }

  /** The methods called, without tags. */
  get methods(): string[] {
    return this.calls.map(([method]) => method);
  }

  private record(method: string, message: ConsumeMessage): boolean {
    if (!this.alive) return false;
    this.calls.push([method, message.fields.deliveryTag]);
    return true;
  }
}

/** The agent's publishing connection as the settler sees it: records each copy, answers as scripted. */
export class FakePublisher {
  readonly published: Array<{
    exchange: string;
    routingKey: string;
    content: Buffer;
    options: Options.Publish;
  }> = [];
  /** How a publish ends (default: confirmed). */
  answer: () => Promise<PublishResult> = async () => "confirmed";

  readonly publish: CopyPublisher = (exchange, routingKey, content, options) => {
    this.published.push({ exchange, routingKey, content, options });
    return this.answer();
  };
}

/** Where a delivery stands in the retry schedule: a fresh message unless told otherwise. */
export function retryState(overrides: Partial<RetryState> = {}): RetryState {
  return {
    round: 0,
    attemptsBefore: 0,
    roundAttempts: 0,
    setAside: 0,
    redriven: false,
    origin: undefined,
    ...overrides,
  };
}

export interface HeldOptions {
  session?: FakeSession;
  lane?: string;
  maxBatch?: number;
  receivedAt?: number;
  deliveryTag?: number;
  content?: Buffer | string;
  headers?: Record<string, unknown>;
  retry?: RetryState;
}

let nextTag = 0;

/** A held message (waiting); delivery tags grow with every call unless given. */
export function heldMessage(options: HeldOptions = {}): HeldMessage {
  const session = options.session ?? new FakeSession();
  const message = fakeMessage({
    deliveryTag: options.deliveryTag ?? ++nextTag,
    content: options.content,
    headers: options.headers,
  });
  return new HeldMessage(
    { message, session: session.asSession, receivedAt: options.receivedAt ?? 0 },
    options.retry ?? retryState(),
    options.lane,
    options.maxBatch ?? 10,
  );
}

/** A silent logger, or one whose lines can be read back. */
/** A log line as pino writes it: level, message and the bound fields. */
export type LogLine = { level: number; msg: string; [field: string]: unknown };

export function recordingLog(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: "trace" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

export const silentLog: Logger = pino({ level: "silent" });

/** pino's level numbers. */
export const LEVEL = { info: 30, warn: 40, error: 50 } as const;

/** The real metrics of one agent, and a way to read a series back. */
export function testMetrics(agent = "test-agent"): {
  metrics: AgentMetrics;
  read(name: string, labels?: Record<string, string>): Promise<number>;
} {
  const registry = new Metrics();
  return {
    metrics: registry.forAgent(agent),
    async read(name, labels = {}) {
      const series = `amqp_lambda_agent_${name}`;
      // A histogram's `_count` and `_sum` are series of the histogram itself.
      const metric =
        registry.registry.getSingleMetric(series) ??
        registry.registry.getSingleMetric(series.replace(/_(count|sum)$/, ""));
      if (!metric) throw new Error(`no metric ${series}`);
      const { values } = await metric.get();
      const wanted = { agent, ...labels };
      return values
        .filter((v) => ((v as { metricName?: string }).metricName ?? series) === series)
        .filter((v) => Object.entries(wanted).every(([k, value]) => v.labels[k] === value))
        .reduce((sum, v) => sum + v.value, 0);
    },
  };
}

/**
 * A real agent config from the seed example, with raw `async/amqp`, `consumer`, `connection` and
 * lambda overrides, or `backends` instead of the seed's one backend entry.
 */
export function agentConfig(
  overrides: {
    amqp?: Record<string, unknown>;
    consumer?: Record<string, unknown>;
    connection?: Record<string, unknown>;
    lambda?: Record<string, unknown>;
    backends?: Array<Record<string, unknown>>;
  } = {},
): AgentConfig {
  const raw = seedAgent({ amqp: overrides.amqp, lambda: overrides.lambda });
  raw.consumer = { ...(raw.consumer as object), ...overrides.consumer };
  raw.connection = { ...(raw.connection as object), ...overrides.connection };
  if (overrides.backends) raw.backend = overrides.backends;
  const [agent] = resolveConfig(file(raw), {}).agents;
  if (!agent) throw new Error("the seed config has no agent");
  return agent;
}

/** The decision's settings with a deterministic backoff (100 ms × n). */
export function testPolicy(overrides: Partial<Policy> = {}): Policy {
  return {
    autoAck: false,
    failurePolicy: "dead_letter",
    maxRetries: 2,
    retrySteps: [],
    requeueDelayMs: 700,
    backoffMs: (n) => 100 * n,
    ...overrides,
  };
}

export const BREAKER_CONFIG: CircuitBreakerConfig = {
  enabled: true,
  failureThreshold: 2,
  functionErrorRatio: 0.5,
  functionErrorMinMessages: 4,
  windowMs: 10_000,
  probeIntervalMs: 1_000,
  maxProbeIntervalMs: 8_000,
};

export function failure(kind: FailureKind, errorType = "Error", message = "boom"): Failure {
  return { kind, errorType, message, durationMs: 1 };
}

/** What happened to a message, as `decide` sees it. */
export const happen = {
  succeeded: { kind: "succeeded" } as Happening,
  /** A function error: charged while the breaker is closed. */
  functionError: { kind: "failed", failure: failure("function_error"), scope: "ambiguous" } as Happening,
  /** The platform's failure: never charged. */
  platform: {
    kind: "failed",
    failure: failure("server_error", "ServiceException"),
    scope: "systemic",
  } as Happening,
  /** The message's own failure, for good. */
  own: {
    kind: "failed",
    failure: failure("bad_message", "InvalidJsonBody"),
    scope: "message",
  } as Happening,
};

/** A call report: `ok`, or failed as a whole with this kind and scope. */
export function callReport(
  outcome: "ok" | FailureKind = "ok",
  scope?: FailureScope,
  extra: Partial<CallReport> = {},
): CallReport {
  const failed = outcome !== "ok";
  return {
    outcome,
    failure: failed ? failure(outcome, outcome) : undefined,
    scope: failed ? (scope ?? "systemic") : undefined,
    reason: failed ? outcome : "",
    startedAt: 0,
    durationMs: 5,
    ...extra,
  };
}

export const succeededOutcome: MessageOutcome = {
  kind: "succeeded",
  response: { body: undefined, contentType: undefined },
};

/** A backend whose answers the test scripts; records every batch and extras sent. */
export class FakeBackend implements Backend {
  batchSize = 10;
  batchWindowMs = 0;
  maxRetries = 2;
  maxBatchBytes = 1_000_000;
  readonly sent: Array<readonly OutgoingMessage[]> = [];
  readonly extras: Array<SendExtras | undefined> = [];
  closed = 0;
  /** The answer to a batch (default: every message succeeded, call ok). */
  answer: (batch: readonly OutgoingMessage[]) => SendReport | Promise<SendReport> = (batch) => ({
    results: new Map(batch.map((out) => [out.id, succeededOutcome])),
    call: callReport(),
  });

  constructor(readonly label = "fake-fn") {}

  sizeOf(message: OutgoingMessage): number {
    return message.message.content.byteLength;
  }

  async send(batch: readonly OutgoingMessage[], extras?: SendExtras): Promise<SendReport> {
    this.sent.push([...batch]);
    this.extras.push(extras);
    return this.answer(batch);
  }

  close(): void {
    this.closed += 1;
  }
}
