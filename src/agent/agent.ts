import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { ConsumeMessage } from "amqplib";
import { AmqpConnection } from "../amqp/amqp-connection.js";
import { brokerAddress, vhostOf } from "../amqp/connect-options.js";
import type { ConsumerSession } from "../amqp/consumer-session.js";
import { startupConfigNotes } from "../amqp/topology.js";
import type { AgentConfig } from "../config/types.js";
import type { AgentError } from "../errors.js";
import { toError } from "../errors.js";
import { createLambdaClient } from "../lambda/client.js";
import { LogThrottle } from "../observability/log-throttle.js";
import type { Logger } from "../observability/logger.js";
import type { AgentMetrics, Metrics } from "../observability/metrics.js";
import { BatchProcessor } from "./batch-processor.js";
import type { Delivery } from "./delivery.js";
import { Dispatcher } from "./dispatcher.js";
import { RateLimiter } from "./rate-limiter.js";
import { Settler } from "./settler.js";

const STATES = ["idle", "connecting", "ready", "draining", "closed"] as const;
export type AgentState = (typeof STATES)[number];

export interface AgentStatus {
  name: string;
  state: AgentState;
  consuming: boolean;
  /** Why the agent is not ready, when it is not. */
  reason: string | undefined;
  inFlight: number;
  held: number;
  backlog: number | undefined;
  lastHealthyAt: number | undefined;
}

/**
 * One async agent: consumes its queue and invokes its function. Lifecycle:
 * idle → connecting ⇄ ready → draining → closed. The state is checked after every await.
 */
export class Agent {
  private state: AgentState = "idle";
  private readonly connection: AmqpConnection;
  private readonly dispatcher: Dispatcher;
  private readonly client: LambdaClient;
  private readonly throttle = new LogThrottle();
  private readonly metrics: AgentMetrics;
  private healthTimer: NodeJS.Timeout | undefined;
  private lastHealthyAt: number | undefined;
  private backlog: number | undefined;
  private reason: string | undefined = "not started";
  private failure: ((error: AgentError) => void) | undefined;
  readonly failed: Promise<AgentError>;

  constructor(
    readonly config: AgentConfig,
    registry: Metrics,
    private readonly log: Logger,
  ) {
    this.metrics = registry.forAgent(config.name);
    this.failed = new Promise((resolve) => {
      this.failure = resolve;
    });
    this.client = createLambdaClient(config);
    const settler = new Settler(config, this.metrics, log, this.throttle, () => this.connection.current);
    const source = {
      queue: config.amqp.queue,
      vhost: vhostOf(config.amqp.url),
      sourceArn: brokerAddress(config.amqp.url),
    };
    const processor = new BatchProcessor(
      config,
      this.client,
      source,
      new RateLimiter(config.consumer.maxRate),
      settler,
      this.metrics,
      log,
      this.throttle,
    );
    this.dispatcher = new Dispatcher(
      {
        workers: config.consumer.workers,
        batchSize: config.lambda.batchSize,
        batchWindowMs: config.lambda.batchWindowMs,
        maxBacklog: config.amqp.maxBacklog,
      },
      async (batch) => {
        try {
          await processor.process(batch);
        } catch (thrown) {
          this.log.error(
            { err: toError(thrown) },
            "batch processing failed unexpectedly; the broker will redeliver its messages",
          );
        } finally {
          this.metrics.inFlight.set(this.dispatcher.held);
        }
      },
      (full) => this.onBacklogPressure(full),
    );
    this.connection = new AmqpConnection(config, log, (message, session) => this.onMessage(message, session));
    this.connection.on("session", (session) => this.onSession(session));
    this.connection.on("lost", (error) => this.onLost(error));
    this.connection.on("reconnecting", () => this.metrics.reconnects.inc());
    this.connection.on("failed", (error) => this.onFailed(error));
  }

  get name(): string {
    return this.config.name;
  }

  status(): AgentStatus {
    return {
      name: this.name,
      state: this.state,
      consuming: this.connection.current?.consuming ?? false,
      reason: this.state === "ready" ? undefined : this.reason,
      inFlight: this.dispatcher.inFlight,
      held: this.dispatcher.held,
      backlog: this.backlog,
      lastHealthyAt: this.lastHealthyAt,
    };
  }

  async start(): Promise<void> {
    if (this.state !== "idle") throw new Error(`agent ${this.name} cannot start from state ${this.state}`);
    const warning = startupConfigNotes(this.config);
    if (warning) this.log.warn(warning);
    this.setState("connecting", "connecting to the broker");
    await this.connection.start();
    this.healthTimer = setInterval(() => void this.checkHealth(), this.config.connection.healthIntervalMs);
    this.healthTimer.unref();
  }

  /**
   * Graceful stop: cancel the consumer, give back messages not started (with `auto_ack` they are
   * processed, since the broker no longer has them), wait for in-flight work up to `drainTimeoutMs`,
   * then close channel and connection.
   */
  async stop(drainTimeoutMs = this.config.consumer.drainTimeoutMs): Promise<void> {
    if (this.state === "draining" || this.state === "closed") return;
    this.setState("draining", "draining");
    clearInterval(this.healthTimer);
    await this.connection.stopConsuming();
    if (!this.config.amqp.autoAck) {
      for (const delivery of this.dispatcher.takeUnstarted()) delivery.session.nack(delivery.message, true);
    }
    this.dispatcher.flush();
    const drained = await this.dispatcher.whenIdle(drainTimeoutMs);
    if (!drained) {
      this.log.warn(
        { inFlight: this.dispatcher.inFlight, drainTimeoutMs },
        `drain timeout: closing with ${this.dispatcher.held} message(s) unsettled; the broker redelivers them`,
      );
    }
    await this.connection.close();
    this.client.destroy();
    this.setState("closed", "stopped");
  }

  private onMessage(message: ConsumeMessage, session: ConsumerSession): void {
    this.metrics.received.inc();
    const delivery: Delivery = { message, session, receivedAt: performance.now() };
    this.dispatcher.push(delivery);
    this.metrics.inFlight.set(this.dispatcher.held);
  }

  private onSession(session: ConsumerSession): void {
    if (this.state === "draining" || this.state === "closed") {
      void session.stopConsuming();
      return;
    }
    this.lastHealthyAt = Date.now();
    this.log.info(
      {
        queue: this.config.amqp.queue,
        exchange: this.config.amqp.exchange,
        topic: this.config.consumer.topic,
      },
      `consuming ${this.config.amqp.queue} (exchange ${this.config.amqp.exchange}, binding "${this.config.consumer.topic}")`,
    );
    this.setState("ready", undefined);
    if (this.dispatcher.full) void session.pause();
    void this.checkHealth();
  }

  private onLost(error: Error): void {
    // Unacked messages of the dead channel go back to the queue; auto_ack ones exist only here.
    const discarded = this.config.amqp.autoAck ? 0 : this.dispatcher.discardDead();
    if (this.state === "draining" || this.state === "closed") return;
    this.throttle.warn(
      this.log,
      "connection-lost",
      { err: error, discarded },
      `lost the broker channel: ${error.message}; reconnecting`,
    );
    this.setState("connecting", `reconnecting: ${error.message}`);
  }

  private onFailed(error: AgentError): void {
    this.log.error({ err: error }, error.message);
    clearInterval(this.healthTimer);
    this.setState("closed", error.message);
    this.failure?.(error);
  }

  private onBacklogPressure(full: boolean): void {
    const session = this.connection.current;
    if (!session || this.state !== "ready") return;
    if (full) {
      this.log.debug({ held: this.dispatcher.held }, "backlog full: pausing the consumer");
      void session.pause();
    } else {
      this.log.debug({ held: this.dispatcher.held }, "backlog drained: resuming the consumer");
      void session.resume().catch((error: unknown) => this.connection.restart(toError(error)));
    }
  }

  private async checkHealth(): Promise<void> {
    const session = this.connection.current;
    if (!session || this.state !== "ready") return;
    try {
      // At least 5 s: the check waits behind the channel's other requests (dead-letter publishes).
      this.backlog = await session.checkQueue(Math.max(5_000, this.config.connection.healthIntervalMs));
      this.metrics.backlog.set(this.backlog);
      this.lastHealthyAt = Date.now();
    } catch (thrown) {
      if (this.state !== "ready" || !session.alive) return;
      const error = toError(thrown);
      this.throttle.warn(
        this.log,
        "health-check",
        { err: error },
        `health check failed: ${error.message}; reconnecting`,
      );
      this.connection.restart(error);
    }
  }

  private setState(state: AgentState, reason: string | undefined): void {
    this.state = state;
    this.reason = reason;
    for (const s of STATES) this.metrics.state(s, s === state ? 1 : 0);
  }
}
