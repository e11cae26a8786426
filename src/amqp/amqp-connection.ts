import { EventEmitter } from "node:events";
import amqplib, { type ChannelModel, type RecoveringChannelModel } from "amqplib";
import { reconnectDelayMs } from "../backoff.js";
import type { AgentConfig } from "../config/types.js";
import { AgentError, toError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import { redactUrl } from "../observability/redact.js";
import { socketOptions } from "./connect-options.js";
import { ConsumerSession, type SessionEvents } from "./consumer-session.js";

export interface AmqpConnectionEvents {
  session: [ConsumerSession];
  lost: [Error];
  failed: [AgentError];
  reconnecting: [{ attempt: number; delayMs: number; error: Error }];
}

/**
 * The agent's broker connection, built on amqplib's opt-in recovery: reconnects with KrakenD's
 * `backoff_strategy` and `max_retries`, and opens a new `ConsumerSession` (topology, qos, consume)
 * after every connect. Losing the channel or the consumer drops the whole connection so that
 * recovery rebuilds everything in one place.
 */
export class AmqpConnection extends EventEmitter<AmqpConnectionEvents> {
  private recovering: RecoveringChannelModel | undefined;
  private model: ChannelModel | undefined;
  private session: ConsumerSession | undefined;
  private closing = false;
  private connectFailures = 0;

  constructor(
    private readonly config: AgentConfig,
    private readonly log: Logger,
    private readonly onMessage: SessionEvents["onMessage"],
  ) {
    super();
  }

  get current(): ConsumerSession | undefined {
    return this.session?.alive ? this.session : undefined;
  }

  async start(): Promise<void> {
    const { connection } = this.config;
    const safeUrl = redactUrl(this.config.amqp.url);
    const recovering = await amqplib.connect(this.config.amqp.url, {
      ...socketOptions(this.config),
      recovery: {
        waitForConnect: false,
        maxRetries: connection.maxRetries,
        initialMaxRetries: connection.maxRetries,
        calculateDelay: (attempt) => reconnectDelayMs(connection.backoffStrategy, attempt - 1),
        setup: (model: ChannelModel) => this.openSession(model),
      },
    });
    this.recovering = recovering;
    recovering.on("error", (error: Error) => this.log.warn({ err: error }, `connection error on ${safeUrl}`));
    recovering.on("handler-error", (error: Error, event: string) =>
      this.log.error({ err: error, event }, "handler error"),
    );
    recovering.on("blocked", (reason: string) =>
      this.log.warn({ reason }, "broker blocked the connection (resource alarm)"),
    );
    recovering.on("unblocked", () => this.log.info("broker unblocked the connection"));
    recovering.on("disconnect", (error: Error) => {
      this.model = undefined;
      this.session?.lose(error);
    });
    recovering.on("connect-failed", (error: Error) => {
      this.connectFailures += 1;
      const n = this.connectFailures;
      if (!this.closing && (n <= 10 || n % 10 === 0))
        this.log.warn({ err: error, url: safeUrl }, `cannot connect to ${safeUrl}: ${error.message}`);
    });
    recovering.on(
      "reconnect-scheduled",
      ({ attempt, delay, error }: { attempt: number; delay: number; error: Error }) => {
        const limit = Number.isFinite(connection.maxRetries) ? String(connection.maxRetries) : "unlimited";
        if (attempt <= 10 || attempt % 10 === 0) {
          this.log.warn(
            { attempt, delayMs: delay, maxRetries: limit },
            `reconnecting to ${safeUrl} in ${delay}ms (attempt ${attempt} of ${limit})`,
          );
        }
        this.emit("reconnecting", { attempt, delayMs: delay, error });
      },
    );
    recovering.on("reconnect-failed", (error: Error) => {
      if (this.closing) return;
      this.emit(
        "failed",
        new AgentError(
          "BROKER_UNREACHABLE",
          `gave up connecting to ${safeUrl} after ${connection.maxRetries} retries`,
          {
            cause: error,
          },
        ),
      );
    });
  }

  /** Gives up the current session on purpose (failed health check); recovery reconnects. */
  restart(reason: Error): void {
    this.session?.lose(reason);
  }

  /** Closes the connection under a lost session, so that recovery rebuilds everything. */
  private dropModel(): void {
    const model = this.model;
    this.model = undefined;
    if (model) void model.close().catch(() => undefined);
  }

  /** Cancels consuming without closing anything, for a graceful drain. */
  async stopConsuming(): Promise<void> {
    await bounded(this.session?.stopConsuming(), STOP_STEP_TIMEOUT_MS);
  }

  /** Closes channel, then connection. Never throws. */
  async close(): Promise<void> {
    this.closing = true;
    await bounded(this.session?.close(), STOP_STEP_TIMEOUT_MS);
    await bounded(
      this.recovering?.close().catch(() => undefined),
      STOP_STEP_TIMEOUT_MS,
    );
  }

  private async openSession(model: ChannelModel): Promise<void> {
    if (this.closing) throw new Error("closing");
    model.on("error", () => undefined);
    const session = await ConsumerSession.open(model, this.config, {
      onMessage: this.onMessage,
      onLost: (lost, reason) => {
        if (lost !== this.session) return;
        this.emit("lost", reason);
        if (!this.closing) this.dropModel();
      },
    }).catch((error: unknown) => {
      throw new AgentError("TOPOLOGY_FAILED", topologyHint(toError(error)), { cause: error });
    });
    // The channel may have closed between consume-ok and here; nobody would notice it later.
    if (!session.alive) throw new Error("the channel closed while consuming started");
    this.model = model;
    this.session = session;
    this.connectFailures = 0;
    this.emit("session", session);
  }
}

function topologyHint(error: Error): string {
  if (/PRECONDITION_FAILED/.test(error.message)) {
    return `${error.message}: the exchange or queue already exists with other settings; make durable/delete/exclusive/queue_arguments match it, or delete it`;
  }
  if (/ACCESS_REFUSED/.test(error.message))
    return `${error.message}: the broker user lacks permission on this vhost`;
  return `declaring the topology failed: ${error.message}`;
}

/** A broker that stops answering must not hold a shutdown: each step waits at most this long. */
const STOP_STEP_TIMEOUT_MS = 5_000;

async function bounded(step: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!step) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([step, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
