import type { ConsumeMessage } from "amqplib";
import { BrokerConnection } from "../amqp/broker-connection.js";
import { brokerAddress, nodeAddress, type TlsMaterial, vhostOf } from "../amqp/connect-options.js";
import type { ConsumerSession } from "../amqp/consumer-session.js";
import { startupConfigNotes } from "../amqp/topology.js";
import type { AgentConfig } from "../config/types.js";
import type { AgentError } from "../errors.js";
import { toError } from "../errors.js";
import { compileFilterPatterns } from "../filter/index.js";
import { eventEnvelope } from "../lambda/event-bytes.js";
import { createInvoker, type Invoker } from "../lambda/invoke/index.js";
import type { AgentStatus, ObservedAgent } from "../observability/agent-status.js";
import { type AgentState, AGENT_STATES as STATES } from "../observability/agent-status.js";
import { LogThrottle } from "../observability/log-throttle.js";
import type { Logger } from "../observability/logger.js";
import type { AgentMetrics, Metrics } from "../observability/metrics.js";
import { CIRCUIT_STATES, CircuitBreaker, type CircuitState } from "./circuit-breaker.js";
import { ConcurrencyLimit } from "./concurrency-limit.js";
import { ConsumerDemand } from "./consumer-demand.js";
import { Dispatcher } from "./dispatcher.js";
import { Intake } from "./intake.js";
import { Invocation } from "./invocation.js";
import { RateLimiter } from "./rate-limiter.js";
import { canGiveBack } from "./settlement.js";
import { Settler } from "./settler.js";
import { startupWarnings } from "./startup-warnings.js";

/** Held messages are handed back when the oldest nears this share of the broker's consumer_timeout. */
const RELEASE_AT_SHARE = 0.8;

/**
 * One async agent: consumes its queue and invokes its function. Lifecycle:
 * idle → connecting ⇄ ready → draining → closed. The state is checked after every await.
 */
export class Agent implements ObservedAgent {
  private state: AgentState = "idle";
  private readonly connection: BrokerConnection;
  private readonly dispatcher: Dispatcher;
  private readonly invoker: Invoker;
  private readonly breaker: CircuitBreaker;
  private readonly limit: ConcurrencyLimit;
  private readonly intake: Intake;
  private readonly demand: ConsumerDemand;
  private readonly throttle = new LogThrottle();
  private readonly metrics: AgentMetrics;
  private healthTimer: NodeJS.Timeout | undefined;
  private backlog: number | undefined;
  private reason: string | undefined = "not started";
  private node: { address: string; index: number } | undefined;
  private notConsumingSince: number | undefined = Date.now();
  private blocked: string | undefined;
  private failure: ((error: AgentError) => void) | undefined;
  readonly failed: Promise<AgentError>;

  constructor(
    readonly config: AgentConfig,
    registry: Metrics,
    private readonly log: Logger,
    tls: TlsMaterial,
  ) {
    this.metrics = registry.forAgent(config.name);
    this.failed = new Promise((resolve) => {
      this.failure = resolve;
    });
    const { lambda, consumer, amqp } = config;
    this.invoker = createInvoker({
      functionName: lambda.functionName,
      region: lambda.region,
      endpoint: lambda.endpoint,
      timeoutMs: consumer.timeoutMs,
      sockets: consumer.workers,
      client: lambda.client,
    });
    this.intake = new Intake(
      config,
      lambda.filterPatterns ? compileFilterPatterns(lambda.filterPatterns) : undefined,
      log,
    );
    this.demand = new ConsumerDemand(amqp);
    this.breaker = new CircuitBreaker(amqp.circuitBreaker, undefined, (state, why) =>
      this.onCircuit(state, why),
    );
    this.limit = new ConcurrencyLimit(consumer.workers);
    this.metrics.concurrencyLimit.set(this.limit.limit);
    this.onCircuit("closed", "");
    const envelope = eventEnvelope({
      queue: amqp.queue,
      vhost: vhostOf(amqp.urls[0] as string),
      sourceArn: brokerAddress(amqp.urls[0] as string),
    });
    const settler = new Settler(config, this.metrics, log, this.throttle, () => this.connection.liveSession);
    const invocation = new Invocation(
      config,
      this.invoker,
      envelope,
      new RateLimiter(consumer.maxRate),
      this.metrics,
      log,
      this.throttle,
    );
    this.dispatcher = new Dispatcher(
      config,
      invocation,
      envelope,
      settler,
      this.breaker,
      this.limit,
      this.metrics,
      log,
      {
        onHeldChange: () => {
          if (this.demand.heldChanged(this.dispatcher.heldCount)) this.applyConsumer();
        },
        onProbeStarved: () => {
          this.demand.probeStarved();
          this.applyConsumer();
        },
      },
    );
    this.connection = new BrokerConnection(config, tls, log, (message, session) =>
      this.onMessage(message, session),
    );
    this.connection.on("session", (session, info) => this.onSession(session, info));
    this.connection.on("lost", (error) => this.onLost(error));
    this.connection.on("reconnecting", ({ round, delayMs }) => {
      this.metrics.reconnects.inc();
      const limit = Number.isFinite(config.connection.maxRetries)
        ? String(config.connection.maxRetries)
        : "unlimited";
      if (round <= 10 || round % 10 === 0) {
        this.log.warn(
          { round, delayMs, maxRetries: limit },
          `reconnecting to ${config.amqp.urls.map(nodeAddress).join(", ")} in ${delayMs}ms (round ${round} of ${limit})`,
        );
      }
    });
    this.connection.on("failed", (error) => this.onFailed(error));
    this.connection.on("blocked", (reason) => {
      this.blocked = reason;
      this.log.warn(
        { reason },
        `the broker blocked the connection (resource alarm: ${reason}); waiting, not reconnecting`,
      );
    });
    this.connection.on("unblocked", () => {
      this.blocked = undefined;
      this.log.info("the broker unblocked the connection");
    });
  }

  get name(): string {
    return this.config.name;
  }

  status(): AgentStatus {
    const ready = this.state === "ready";
    const circuit = this.breaker.state;
    let reason = ready ? undefined : this.reason;
    if (ready && circuit !== "closed")
      reason = `circuit breaker ${circuit.replace("_", "-")}: ${this.reason ?? ""}`;
    if (ready && this.blocked) reason = `the broker blocked the connection (resource alarm: ${this.blocked})`;
    return {
      name: this.name,
      state: this.state,
      consumer: this.connection.liveSession?.consumerState ?? "none",
      reason,
      inFlight: this.dispatcher.inFlight,
      held: this.dispatcher.heldCount,
      backlog: this.backlog,
      circuit,
      node: this.node?.address,
      onFirstNode: this.node?.index === 0,
      notConsumingSince: this.notConsumingSince,
      concurrencyLimit: this.limit.limit,
      workers: this.config.consumer.workers,
      ordered: this.config.consumer.orderKey !== undefined,
      queue: this.config.amqp.queue,
    };
  }

  /** Order-key lanes waiting and the oldest wait, for metrics and the summary. */
  waits(): { lanes: number; oldestWaitMs: number } {
    const lanes = this.dispatcher.laneWaits();
    const oldest = this.dispatcher.oldestReceivedAt;
    return { lanes: lanes.lanes, oldestWaitMs: oldest === undefined ? 0 : performance.now() - oldest };
  }

  start(): void {
    if (this.state !== "idle") throw new Error(`agent ${this.name} cannot start from state ${this.state}`);
    for (const warning of [startupConfigNotes(this.config), ...startupWarnings(this.config)]) {
      if (warning) this.log.warn(warning);
    }
    this.setState("connecting", "connecting to the broker");
    this.connection.start();
    this.healthTimer = setInterval(() => void this.checkHealth(), this.config.connection.healthIntervalMs);
    this.healthTimer.unref();
  }

  /**
   * Graceful stop: stop consuming, hand back messages not yet invoked (with `auto_ack` they are
   * processed, since the broker no longer has them), wait for invocations up to `drainTimeoutMs`,
   * then close channel and connection.
   */
  async stop(drainTimeoutMs = this.config.consumer.drainTimeoutMs): Promise<void> {
    if (this.state === "draining" || this.state === "closed") return;
    this.setState("draining", "draining");
    clearInterval(this.healthTimer);
    await this.connection.stopConsuming();
    const drained = await this.dispatcher.drain(drainTimeoutMs);
    if (!drained) {
      const left = this.dispatcher.leaveUnfinished();
      this.log.warn(
        { held: left, drainTimeoutMs },
        !canGiveBack(this.config.amqp)
          ? `drain timeout: ${left} auto_ack message(s) unfinished; the broker no longer has them: they are lost`
          : `drain timeout: closing with ${left} message(s) unsettled; the broker redelivers them`,
      );
    }
    await this.connection.close();
    this.invoker.close();
    this.metrics.node(undefined);
    this.setState("closed", "stopped");
  }

  private onMessage(message: ConsumeMessage, session: ConsumerSession): void {
    this.metrics.received.inc();
    // A session that opened while the agent was closing: never invoked, handed back.
    if (this.state === "closed" || (this.state === "draining" && canGiveBack(this.config.amqp))) {
      if (!session.giveBack(message)) this.metrics.unsettled.inc();
      else this.metrics.returned.inc();
      return;
    }
    const { held, filtered } = this.intake.admit(message, session);
    if (filtered) this.dispatcher.settleNow(held, { outcome: "filtered" });
    else this.dispatcher.push(held);
  }

  private onSession(
    session: ConsumerSession,
    info: { node: string; nodeIndex: number; failover: boolean },
  ): void {
    if (this.state === "draining" || this.state === "closed") {
      void session.setDesired("stopped");
      return;
    }
    this.node = { address: info.node, index: info.nodeIndex };
    this.metrics.node(info.node);
    if (info.failover) this.metrics.failovers.inc();
    this.notConsumingSince = undefined;
    const bindings = this.config.amqp.bindings.map((b) => `"${b.routingKey}"`).join(", ");
    this.log.info(
      { queue: this.config.amqp.queue, exchange: this.config.amqp.exchange, node: info.node },
      `consuming ${this.config.amqp.queue} on ${info.node}${info.nodeIndex > 0 ? ` (node ${info.nodeIndex + 1} of the list)` : ""} (exchange ${this.config.amqp.exchange}${bindings ? `, binding ${bindings}` : ""})`,
    );
    this.setState("ready", undefined);
    this.applyConsumer();
    this.dispatcher.pump();
    void this.checkHealth();
  }

  private onLost(error: Error): void {
    this.node = undefined;
    this.metrics.node(undefined);
    // Unacked messages of the dead channel go back to the queue; auto_ack ones exist only here.
    const discarded = this.dispatcher.dropDead();
    if (this.state === "draining" || this.state === "closed") return;
    this.notConsumingSince ??= Date.now();
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

  private onCircuit(state: CircuitState, why: string): void {
    for (const s of CIRCUIT_STATES) this.metrics.circuit(s, s === state ? 1 : 0);
    if (!why) return;
    if (state === "open" && why.startsWith("the probe")) {
      this.throttle.warn(this.log, "circuit-probe", { circuit: state }, `circuit breaker still open: ${why}`);
    } else if (state === "open") {
      this.metrics.circuitOpenings.inc();
      this.reason = why;
      this.log.warn(
        { circuit: state },
        `circuit breaker open: ${why}; new messages stay in the queue, held ones keep their attempts; probing`,
      );
    } else if (state === "closed") {
      this.reason = undefined;
      this.demand.breakerClosed();
      this.log.info({ circuit: state }, `circuit breaker closed: ${why}; consuming at full speed again`);
      this.applyConsumer();
    }
  }

  private applyConsumer(): void {
    const session = this.connection.liveSession;
    if (!session || this.state !== "ready") return;
    const desired = this.demand.desired(this.state);
    void session.setDesired(desired).catch((error: unknown) => this.connection.restart(toError(error)));
    if (desired === "consuming") this.demand.resumedForProbe();
  }

  /**
   * Every `health_interval`: the channel answers (a passive declare, which also reads the backlog),
   * and, while the circuit breaker is open, held messages are handed back before RabbitMQ's
   * `consumer_timeout` would close the channel over them.
   */
  private async checkHealth(): Promise<void> {
    this.updateWaitMetrics();
    this.releaseIfHeldTooLong();
    const session = this.connection.liveSession;
    if (!session || this.state !== "ready") return;
    try {
      // At least 5 s: the check waits behind the channel's other requests (copies being published).
      this.backlog = await session.checkQueue(Math.max(5_000, this.config.connection.healthIntervalMs));
      this.metrics.backlog.set(this.backlog);
    } catch (thrown) {
      if (this.state !== "ready" || !session.alive) return;
      const error = toError(thrown);
      // A blocked connection (resource alarm) answers nothing until the alarm clears: reconnecting
      // would not help, and would redeliver what the agent holds.
      if (this.blocked) return;
      this.throttle.warn(
        this.log,
        "health-check",
        { err: error },
        `health check failed: ${error.message}; reconnecting`,
      );
      this.connection.restart(error);
    }
  }

  private releaseIfHeldTooLong(): void {
    const { amqp } = this.config;
    if (this.breaker.state === "closed" || !canGiveBack(amqp)) return;
    const oldest = this.dispatcher.oldestReceivedAt;
    if (oldest === undefined || performance.now() - oldest < amqp.consumerTimeoutMs * RELEASE_AT_SHARE)
      return;
    if (amqp.autoDelete) {
      this.throttle.warn(
        this.log,
        "release-auto-delete",
        {},
        `messages held for ${Math.round((performance.now() - oldest) / 1000)}s while the circuit breaker is open near consumer_timeout; the queue is auto-delete, so the consumer is kept (cancelling it would delete the queue): RabbitMQ may close the channel and redeliver them`,
      );
      return;
    }
    this.demand.heldReleased();
    this.applyConsumer();
    const count = this.dispatcher.giveBackWaiting();
    this.log.warn(
      { returned: count },
      `circuit breaker open for long: ${count} held message(s) handed back to the queue before RabbitMQ's consumer_timeout, consumer paused until the next probe`,
    );
  }

  private updateWaitMetrics(): void {
    const { lanes, oldestWaitMs } = this.waits();
    this.metrics.orderKeysWaiting.set(lanes);
    this.metrics.oldestWait.set(oldestWaitMs / 1000);
  }

  private setState(state: AgentState, reason: string | undefined): void {
    if (state !== "ready" && this.state === "ready") this.notConsumingSince ??= Date.now();
    this.state = state;
    this.reason = reason;
    for (const s of STATES) this.metrics.state(s, s === state ? 1 : 0);
  }
}
