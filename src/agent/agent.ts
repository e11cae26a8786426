import type { ConsumeMessage } from "amqplib";
import { BrokerConnection } from "../amqp/broker-connection.js";
import { nodeAddress, type TlsMaterial } from "../amqp/connect-options.js";
import type { ConsumerSession } from "../amqp/consumer-session.js";
import { startupConfigNotes } from "../amqp/topology.js";
import type { Backend } from "../backends/backend.js";
import type { AgentConfig } from "../config/types.js";
import { type AgentError, toError } from "../errors.js";
import {
  AGENT_STATES,
  type AgentState,
  type AgentStatus,
  type ObservedAgent,
} from "../observability/agent-status.js";
import { LogThrottle } from "../observability/log-throttle.js";
import type { Logger } from "../observability/logger.js";
import type { AgentMetrics, Metrics } from "../observability/metrics.js";
import type { Intake } from "../pipeline/intake.js";
import type { Scheduler } from "../pipeline/scheduler.js";
import type { CircuitBreaker, CircuitTransition } from "../policy/circuit-breaker.js";
import type { ConcurrencyLimit } from "../policy/concurrency-limit.js";
import { ConsumerControl } from "../policy/consumer-control.js";
import { reportCircuit } from "./circuit-log.js";
import { HealthWatch } from "./health-watch.js";
import { buildPipeline } from "./pipeline-parts.js";
import { startupWarnings } from "./startup-warnings.js";

export interface AgentSeams {
  /** Tests: a backend of their own instead of the config's. */
  backend?: Backend;
}

/**
 * One async agent: consumes its queue and sends the messages to its backend. Lifecycle:
 * idle → connecting ⇄ ready → draining → closed, one state with one writer (`setState`), checked
 * after every await. The breaker's reason is the breaker's; the consumer's hold is the control's.
 */
export class Agent implements ObservedAgent {
  private state: AgentState = "idle";
  /** Why the agent is not ready: written with the state, by `setState` only. */
  private stateReason: string | undefined = "not started";
  private readonly connection: BrokerConnection;
  private readonly backend: Backend;
  private readonly breaker: CircuitBreaker;
  private readonly limit: ConcurrencyLimit;
  private readonly intake: Intake;
  private readonly scheduler: Scheduler;
  private readonly control: ConsumerControl;
  private readonly health: HealthWatch;
  private readonly throttle = new LogThrottle();
  private readonly metrics: AgentMetrics;
  private backlog: number | undefined;
  private node: { address: string; index: number } | undefined;
  private notConsumingSince: number | undefined = Date.now();
  /** The broker's resource alarm on the connection, while it lasts. */
  private blockedBy: string | undefined;
  private failure: ((error: AgentError) => void) | undefined;
  readonly failed: Promise<AgentError>;

  constructor(
    readonly config: AgentConfig,
    registry: Metrics,
    private readonly log: Logger,
    tls: TlsMaterial,
    seams: AgentSeams = {},
  ) {
    this.metrics = registry.forAgent(config.name);
    this.failed = new Promise((resolve) => {
      this.failure = resolve;
    });
    this.control = new ConsumerControl({
      autoAck: config.amqp.autoAck,
      maxBacklog: config.amqp.maxBacklog,
      apply: (desired) => this.applyConsumer(desired),
    });
    const parts = buildPipeline({
      config,
      metrics: this.metrics,
      log,
      throttle: this.throttle,
      liveSession: () => this.connection.liveSession,
      onCircuit: (transition) => this.onCircuit(transition),
      onHeldChange: (held) => this.control.heldChanged(held),
      onProbeStarved: () => this.control.probeStarved(),
      backend: seams.backend,
    });
    ({
      backend: this.backend,
      breaker: this.breaker,
      limit: this.limit,
      intake: this.intake,
      scheduler: this.scheduler,
    } = parts);
    this.metrics.concurrencyLimit.set(this.limit.limit);
    this.onCircuit({ from: "closed", to: "closed", cause: "succeeded", detail: "" });
    this.connection = new BrokerConnection(config, tls, log, (message, session) =>
      this.onMessage(message, session),
    );
    this.health = new HealthWatch({
      config,
      scheduler: this.scheduler,
      breaker: this.breaker,
      control: this.control,
      metrics: this.metrics,
      log,
      throttle: this.throttle,
      readySession: () => (this.state === "ready" ? this.connection.liveSession : undefined),
      blocked: () => this.blockedBy !== undefined,
      restart: (error) => this.connection.restart(error),
      onBacklog: (backlog) => {
        this.backlog = backlog;
      },
    });
    this.listen();
  }

  get name(): string {
    return this.config.name;
  }

  status(): AgentStatus {
    const ready = this.state === "ready";
    const circuit = this.breaker.state;
    let reason = ready ? undefined : this.stateReason;
    if (ready && circuit !== "closed")
      reason = `circuit breaker ${circuit.replace("_", "-")}: ${this.breaker.openReason?.detail ?? ""}`;
    if (ready && this.blockedBy)
      reason = `the broker blocked the connection (resource alarm: ${this.blockedBy})`;
    return {
      name: this.name,
      state: this.state,
      consumer: this.connection.liveSession?.consumerState ?? "none",
      hold: this.control.reason(circuit !== "closed", this.blockedBy !== undefined),
      reason,
      inFlight: this.scheduler.inFlight,
      held: this.scheduler.heldCount,
      phases: this.scheduler.phaseCounts(),
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
    const lanes = this.scheduler.laneWaits();
    const oldest = this.scheduler.oldestReceivedAt;
    return { lanes: lanes.lanes, oldestWaitMs: oldest === undefined ? 0 : performance.now() - oldest };
  }

  start(): void {
    if (this.state !== "idle") throw new Error(`agent ${this.name} cannot start from state ${this.state}`);
    for (const warning of [startupConfigNotes(this.config), ...startupWarnings(this.config)]) {
      if (warning) this.log.warn(warning);
    }
    this.setState("connecting", "connecting to the broker");
    this.connection.start();
    this.health.start();
  }

  /**
   * Graceful stop: stop consuming, hand back messages not yet invoked (with `auto_ack` they are
   * processed, since the broker no longer has them), wait for invocations up to `drainTimeoutMs`,
   * then close channel and connection.
   */
  async stop(drainTimeoutMs = this.config.consumer.drainTimeoutMs): Promise<void> {
    if (this.state === "draining" || this.state === "closed") return;
    this.setState("draining", "draining");
    this.health.stop();
    this.control.draining();
    await this.connection.stopConsuming();
    const drained = await this.scheduler.drain(drainTimeoutMs);
    if (!drained) {
      const left = this.scheduler.drainTimedOut();
      this.log.warn(
        { held: left, drainTimeoutMs },
        this.config.amqp.autoAck
          ? `drain timeout: ${left} auto_ack message(s) unfinished; the broker no longer has them: they are lost`
          : `drain timeout: closing with ${left} message(s) unsettled; the broker redelivers them`,
      );
    }
    await this.connection.close();
    this.backend.close();
    this.metrics.node(undefined);
    this.setState("closed", "stopped");
  }

  private listen(): void {
    const { connection, config } = this;
    connection.on("session", (session, info) => this.onSession(session, info));
    connection.on("lost", (error) => this.onLost(error));
    connection.on("reconnecting", ({ round, delayMs }) => {
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
    connection.on("failed", (error) => this.onFailed(error));
    connection.on("blocked", (reason) => {
      this.blockedBy = reason;
      this.log.warn(
        { reason },
        `the broker blocked the connection (resource alarm: ${reason}); waiting, not reconnecting`,
      );
    });
    connection.on("unblocked", () => {
      this.blockedBy = undefined;
      this.log.info("the broker unblocked the connection");
    });
  }

  private onMessage(message: ConsumeMessage, session: ConsumerSession): void {
    this.metrics.received.inc();
    const { held, filtered } = this.intake.admit(message, session);
    if (this.state === "closed" || this.state === "draining") {
      // A session that opened while the agent was stopping.
      this.scheduler.admit(held, { kind: "arrived_while_stopping", closed: this.state === "closed" });
    } else {
      this.scheduler.admit(held, filtered ? { kind: "filtered" } : undefined);
    }
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
    const { amqp } = this.config;
    const bindings = amqp.bindings.map((b) => `"${b.routingKey}"`).join(", ");
    this.log.info(
      { queue: amqp.queue, exchange: amqp.exchange, node: info.node },
      `consuming ${amqp.queue} on ${info.node}${info.nodeIndex > 0 ? ` (node ${info.nodeIndex + 1} of the list)` : ""} (exchange ${amqp.exchange}${bindings ? `, binding ${bindings}` : ""})`,
    );
    this.setState("ready", undefined);
    this.control.reapply();
    this.scheduler.pump();
    void this.health.check();
  }

  private onLost(error: Error): void {
    this.node = undefined;
    this.metrics.node(undefined);
    // Unacked messages of the dead channel go back to the queue; auto_ack ones exist only here.
    const discarded = this.scheduler.channelLost();
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
    this.health.stop();
    this.setState("closed", error.message);
    this.failure?.(error);
  }

  private onCircuit(transition: CircuitTransition): void {
    reportCircuit(transition, this.metrics, this.log, this.throttle);
    if (transition.to === "closed" && transition.from !== "closed") this.control.breakerClosed();
  }

  private applyConsumer(desired: "consuming" | "paused" | "stopped"): void {
    const session = this.connection?.liveSession;
    if (!session || (this.state !== "ready" && desired !== "stopped")) return;
    void session.setDesired(desired).catch((error: unknown) => this.connection.restart(toError(error)));
  }

  private setState(state: AgentState, reason: string | undefined): void {
    if (state !== "ready" && this.state === "ready") this.notConsumingSince ??= Date.now();
    this.state = state;
    this.stateReason = reason;
    for (const s of AGENT_STATES) this.metrics.state(s, s === state ? 1 : 0);
  }
}
