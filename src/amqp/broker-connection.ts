import { EventEmitter } from "node:events";
import amqplib, { type ChannelModel } from "amqplib";
import type { AgentConfig } from "../config/types.js";
import { AgentError, toError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import { bounded } from "./bounded.js";
import { coalesceWrites } from "./coalesce-writes.js";
import { nodeAddress, socketOptions, type TlsMaterial } from "./connect-options.js";
import { ConsumerSession, type SessionEvents } from "./consumer-session.js";
import { HostRotation } from "./host-rotation.js";

export type ConnectionState = "idle" | "connecting" | "connected" | "backing-off" | "closing" | "closed";

export interface BrokerConnectionEvents {
  session: [ConsumerSession, { node: string; nodeIndex: number; failover: boolean }];
  lost: [Error];
  failed: [AgentError];
  reconnecting: [{ round: number; delayMs: number; error: Error }];
  blocked: [string];
  unblocked: [];
}

/** What a broker connection needs; `connect` is amqplib's unless a test scripts the broker. */
export interface BrokerConnectionOptions {
  config: AgentConfig;
  tls: TlsMaterial;
  log: Logger;
  /** Every delivery, with the session it came on (settle it through that session only). */
  onMessage: SessionEvents["onMessage"];
  connect?: typeof amqplib.connect;
}

/** A broker that stops answering must not hold a shutdown: each step waits at most this long. */
const STOP_STEP_TIMEOUT_MS = 5_000;
/** A connection lost sooner than this counts as a failed attempt (KrakenD resets its counter after 5 s). */
const STABLE_CONNECTION_MS = 5_000;

/**
 * The agent's broker connection over a list of cluster nodes. It connects to the first node that
 * answers, in the order given; when the connection is lost it tries the next node at once, then the
 * others, and only after a whole round failed waits `backoff_strategy`'s delay. `max_retries` counts
 * rounds. Each connection opens a new `ConsumerSession` (topology, qos, consume); deliveries of a
 * dead connection are never settled on a new one. amqplib's own recovery is bound to one URL, so
 * the agent owns this loop; its lifecycle is one explicit state, checked after every await.
 */
export class BrokerConnection extends EventEmitter<BrokerConnectionEvents> {
  private state: ConnectionState = "idle";
  private model: ChannelModel | undefined;
  private session: ConsumerSession | undefined;
  private connectedOnce = false;
  private failedAttempts = 0;
  private lastNodeIndex: number | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private blockedReason: string | undefined;

  private readonly config: AgentConfig;
  private readonly tls: TlsMaterial;
  private readonly log: Logger;
  private readonly onMessage: SessionEvents["onMessage"];
  private readonly connect: typeof amqplib.connect;

  constructor(options: BrokerConnectionOptions) {
    super();
    ({ config: this.config, tls: this.tls, log: this.log, onMessage: this.onMessage } = options);
    this.connect = options.connect ?? amqplib.connect;
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** The broker's resource alarm on the live connection, while it blocks it (none once it dropped). */
  get blockedBy(): string | undefined {
    return this.model ? this.blockedReason : undefined;
  }

  /** The session of the live connection, if any. */
  get liveSession(): ConsumerSession | undefined {
    return this.session?.alive ? this.session : undefined;
  }

  /** Starts connecting in the background; `session` and `failed` report the outcome. */
  start(): void {
    if (this.state !== "idle") throw new Error(`cannot start a connection in state ${this.state}`);
    this.loop = this.run();
  }

  /** Gives up the current connection on purpose (a failed health check); the loop moves on. */
  restart(reason: Error): void {
    this.session?.lose(reason);
  }

  /** Stops deliveries for good without closing anything, for a graceful drain. */
  async stopConsuming(): Promise<void> {
    await bounded(this.session?.setDesired("stopped"), STOP_STEP_TIMEOUT_MS);
  }

  /** Closes channel, then connection, and ends the loop. Never throws. */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closing";
    this.wake?.();
    await bounded(this.session?.close(), STOP_STEP_TIMEOUT_MS);
    await bounded(this.release(this.model), STOP_STEP_TIMEOUT_MS);
    await bounded(this.loop, STOP_STEP_TIMEOUT_MS);
    this.state = "closed";
  }

  private get closing(): boolean {
    return this.state === "closing" || this.state === "closed";
  }

  private async run(): Promise<void> {
    const { connection, amqp } = this.config;
    const rotation = new HostRotation(amqp.urls.length, connection.maxRetries, connection.backoffStrategy);
    let lastError: Error = new Error("not connected yet");
    while (!this.closing) {
      const outcome = await this.connectTo(rotation.next());
      if (outcome === "fatal" || this.closing) return;
      if (outcome instanceof Error) lastError = outcome;
      const step =
        outcome === "lasted" || outcome === "dropped"
          ? rotation.connectionEnded(outcome === "lasted")
          : rotation.attemptFailed();
      if (step.action === "give_up") {
        this.state = "closed";
        this.emit(
          "failed",
          new AgentError(
            "BROKER_UNREACHABLE",
            `gave up connecting to ${amqp.urls.map(nodeAddress).join(", ")} after ${step.rounds} round(s) (connection.max_retries ${connection.maxRetries}): ${lastError.message}`,
            { cause: lastError },
          ),
        );
        return;
      }
      if (step.action === "wait") {
        this.emit("reconnecting", { round: step.round, delayMs: step.delayMs, error: lastError });
        this.state = "backing-off";
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, step.delayMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  /**
   * One attempt at one node: resolves when that connection is over (`"lasted"`, or `"dropped"` when
   * it ended at once), with the error when there was none, or `"fatal"` when the agent must stop.
   */
  private async connectTo(index: number): Promise<"lasted" | "dropped" | "fatal" | Error> {
    const url = this.config.amqp.urls[index] as string;
    const node = nodeAddress(url);
    this.state = "connecting";
    let model: ChannelModel;
    try {
      model = await this.connect(url, socketOptions(this.config, url, this.tls));
    } catch (thrown) {
      const error = toError(thrown);
      this.logAttempt(node, error);
      return error;
    }
    // Before anything else: amqplib emits `error` (heartbeat, socket end) also while closing.
    model.on("error", (error: Error) => this.log.warn({ err: error, node }, `connection error on ${node}`));
    if (this.closing) {
      await model.close().catch(() => undefined); // answered after close() gave up on it: open nothing
      return new Error("closing");
    }
    this.model = model; // from here on close() closes it, also while its session is being set up
    coalesceWrites(model);
    this.blockedReason = undefined;
    model.on("blocked", (reason: string) => {
      this.blockedReason = reason;
      this.emit("blocked", reason);
    });
    model.on("unblocked", () => {
      this.blockedReason = undefined;
      this.emit("unblocked");
    });
    const closed = new Promise<Error>((resolve) =>
      model.once("close", (error?: Error) => resolve(error ?? new Error("connection closed"))),
    );
    let session: ConsumerSession;
    try {
      session = await ConsumerSession.open(model, this.config, {
        onMessage: this.onMessage,
        onLost: (lost, reason) => this.onSessionLost(lost, model, reason),
      });
    } catch (thrown) {
      await this.release(model);
      const error = toError(thrown);
      // declare: false and something missing at start: an exit, not a retry loop (after a failover
      // a missing queue is retried: a classic queue whose node is down answers 404 for a while).
      if (this.closing) return error; // stopping: not a reason to report the agent failed
      if (error instanceof AgentError && error.code === "TOPOLOGY_MISSING" && !this.connectedOnce) {
        this.state = "closed";
        this.emit("failed", error);
        return "fatal";
      }
      this.logAttempt(node, error);
      return error;
    }
    if (this.closing) {
      await session.close();
      await this.release(model);
      return new Error("closing");
    }
    const failover = this.lastNodeIndex !== undefined && index !== this.lastNodeIndex;
    this.lastNodeIndex = index;
    this.connectedOnce = true;
    this.failedAttempts = 0;
    this.session = session;
    this.state = "connected";
    this.emit("session", session, { node, nodeIndex: index, failover });
    const connectedAt = performance.now();
    const reason = await closed;
    session.lose(reason);
    this.model = undefined;
    return performance.now() - connectedAt >= STABLE_CONNECTION_MS ? "lasted" : "dropped";
  }

  /** Closes the connection, unless another step has already taken it to close (never twice). */
  private release(model: ChannelModel | undefined): Promise<void> | undefined {
    if (!model || this.model !== model) return undefined;
    this.model = undefined;
    return model.close().catch(() => undefined);
  }

  private onSessionLost(lost: ConsumerSession, model: ChannelModel, reason: Error): void {
    if (lost !== this.session) return;
    this.emit("lost", reason);
    // The channel or consumer is gone: close the connection so the loop rebuilds everything.
    if (!this.closing) void model.close().catch(() => undefined);
  }

  private logAttempt(node: string, error: Error): void {
    this.failedAttempts += 1;
    const n = this.failedAttempts;
    if (!this.closing && (n <= 10 || n % 10 === 0))
      this.log.warn({ err: error, node }, `cannot connect to ${node}: ${error.message}`);
  }
}
