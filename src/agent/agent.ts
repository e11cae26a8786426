import type { ConsumeMessage } from "amqplib";
import { BrokerConnection } from "../amqp/broker-connection.js";
import type { ConsumerSession } from "../amqp/consumer-session.js";
import { Publisher } from "../amqp/publisher.js";
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
import type { AgentMetrics } from "../observability/metrics.js";
import type { CircuitTransition } from "../policy/circuit-breaker.js";
import { ConsumerControl } from "../policy/consumer-control.js";
import { HealthWatch } from "./health-watch.js";
import {
  logChannelLost,
  logConnections,
  logConsuming,
  logDrainTimeout,
  logStartup,
  reportCircuit,
} from "./log-lines.js";
import {
  type AgentOptions,
  admitDelivery,
  backendOf,
  buildPipeline,
  type OrphanHandler,
  type PipelineParts,
  pipelineStatus,
  pipelineWaits,
  reportOrphan,
} from "./pipeline-parts.js";
import { statusReason } from "./status-reason.js";

/**
 * One async agent: consumes its queue and sends the messages to its backend. Lifecycle:
 * idle → connecting ⇄ ready → draining → closed, one state with one writer (`setState`), checked
 * after every await. The breaker's reason is the breaker's; the consumer's hold is the control's.
 */
export class Agent implements ObservedAgent {
  private state: AgentState = "idle";
  private stateReason: string | undefined = "not started"; // why not ready: written by `setState` only
  private readonly connection: BrokerConnection;
  private readonly publisher: Publisher;
  private readonly replyPublisher: Publisher | undefined; // `reply`: the replies' own connection
  private readonly parts: PipelineParts;
  private readonly control: ConsumerControl;
  private readonly health: HealthWatch;
  private readonly throttle = new LogThrottle();
  private readonly metrics: AgentMetrics;
  private node: { address: string; index: number } | undefined;
  private notConsumingSince: number | undefined = Date.now();
  private failure: ((error: AgentError) => void) | undefined;
  readonly failed: Promise<AgentError>;

  readonly config: AgentConfig;
  private readonly log: Logger;

  constructor({ config, registry, log, tls, connect, ...seams }: AgentOptions) {
    this.config = config;
    this.log = log;
    const onOrphan: OrphanHandler = (orphan) => reportOrphan(orphan, this.metrics, log);
    const backend = seams.backend ?? backendOf(config, { onOrphan });
    this.metrics = registry.forAgent(config.name, backend.labels ?? [backend.label]);
    this.failed = new Promise((resolve) => {
      this.failure = resolve;
    });
    this.control = new ConsumerControl({
      autoAck: config.amqp.autoAck,
      maxBacklog: config.amqp.maxBacklog,
      apply: (desired) => this.applyConsumer(desired),
    });
    this.parts = buildPipeline({
      config,
      metrics: this.metrics,
      log,
      throttle: this.throttle,
      publish: (exchange, routingKey, content, options) =>
        this.publisher.publish(exchange, routingKey, content, options),
      publishReply: (r) =>
        (this.replyPublisher as Publisher).publish(r.exchange, r.routingKey, r.content, r.options),
      onCircuit: (transition) => this.onCircuit(transition),
      onHeldChange: (held) => this.control.heldChanged(held),
      onProbeStarved: () => this.control.probeStarved(),
      ...seams,
      backend,
    });
    const { scheduler, breaker, limit } = this.parts;
    this.metrics.concurrencyLimit.set(limit.limit);
    this.onCircuit({ from: "closed", to: "closed", cause: "succeeded", detail: "" });
    const broker = { config, tls, log, connect };
    this.connection = new BrokerConnection({ ...broker, onMessage: (m, s) => this.onMessage(m, s) });
    this.publisher = new Publisher(broker);
    this.replyPublisher = config.amqp.reply && new Publisher({ ...broker, role: "replies" });
    this.health = new HealthWatch({
      config,
      scheduler,
      breaker,
      control: this.control,
      metrics: this.metrics,
      log,
      throttle: this.throttle,
      readySession: () => (this.state === "ready" ? this.connection.liveSession : undefined),
      blocked: () => this.connection.blockedBy !== undefined,
      restart: (error) => this.connection.restart(error),
    });
    this.listen();
  }

  get name(): string {
    return this.config.name;
  }

  status(): AgentStatus {
    const ready = this.state === "ready";
    const pipeline = pipelineStatus(this.parts);
    const { circuit } = pipeline;
    const reason = statusReason({
      ready,
      stateReason: this.stateReason,
      circuit,
      breakerDetail: this.parts.breaker.openReason?.detail,
      blockedBy: this.connection.blockedBy,
    });
    return {
      name: this.name,
      state: this.state,
      consumer: this.connection.liveSession?.consumerState ?? "none",
      hold: this.control.reason(circuit !== "closed", this.publisher.blocked),
      publisher: this.publisher.state,
      reason,
      ...pipeline,
      backlog: this.health.backlog,
      node: this.node?.address,
      onFirstNode: this.node?.index === 0,
      notConsumingSince: this.notConsumingSince,
      workers: this.config.consumer.workers,
      ordered: this.config.consumer.orderKey !== undefined,
      queue: this.config.amqp.queue,
    };
  }

  /** Order-key lanes waiting and the oldest wait, for metrics and the summary. */
  waits = (): { lanes: number; oldestWaitMs: number } => pipelineWaits(this.parts);

  start(): void {
    if (this.state !== "idle") throw new Error(`agent ${this.name} cannot start from state ${this.state}`);
    logStartup(this.config, this.log);
    this.setState("connecting", "connecting to the broker");
    this.connection.start();
    this.health.start();
  }

  /** Stops consuming, hands back what was not invoked (`auto_ack`: processes it), waits up to `drainTimeoutMs`, closes. */
  async stop(drainTimeoutMs = this.config.consumer.drainTimeoutMs): Promise<void> {
    if (this.state === "draining" || this.state === "closed") return;
    this.setState("draining", "draining");
    this.health.stop();
    this.control.draining();
    await this.connection.stopConsuming();
    const drained = await this.parts.scheduler.drain(drainTimeoutMs);
    if (!drained)
      logDrainTimeout(this.config, this.parts.scheduler.drainTimedOut(), drainTimeoutMs, this.log);
    await this.connection.close();
    await Promise.all([this.publisher.close(), this.replyPublisher?.close()]);
    await this.parts.backend.close();
    this.metrics.node(undefined);
    this.setState("closed", "stopped");
  }

  private listen(): void {
    const { connection } = this;
    connection.on("session", (session, info) => this.onSession(session, info));
    connection.on("lost", (error) => this.onLost(error));
    connection.on("failed", (error) => this.onFailed(error));
    logConnections(this.config, connection, this.publisher, this.metrics, this.log);
  }

  private onMessage(message: ConsumeMessage, session: ConsumerSession): void {
    this.metrics.received.inc();
    const stopping = this.state === "closed" || this.state === "draining" ? this.state : undefined;
    admitDelivery(this.parts, { message, session }, stopping); // stopping: a session that opened late
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
    this.publisher.follow(info.nodeIndex);
    this.replyPublisher?.follow(info.nodeIndex);
    this.metrics.node(info.node);
    if (info.failover) this.metrics.failovers.inc();
    this.notConsumingSince = undefined;
    logConsuming(this.config, info, this.log);
    this.setState("ready", undefined);
    this.control.reapply();
    this.parts.scheduler.pump();
    void this.health.check();
  }

  private onLost(error: Error): void {
    this.node = undefined;
    this.metrics.node(undefined);
    // Unacked messages of the dead channel go back to the queue; auto_ack ones exist only here.
    const discarded = this.parts.scheduler.channelLost();
    if (this.state === "draining" || this.state === "closed") return;
    this.notConsumingSince ??= Date.now();
    logChannelLost(this.throttle, this.log, error, discarded);
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
