import type { ChannelModel, ConfirmChannel, ConsumeMessage } from "amqplib";
import type { AgentConfig } from "../config/types.js";
import { toError } from "../errors.js";
import { prepareTopology } from "./topology.js";

/** What the owner asks of the consumer. `stopped` is final. */
export type DesiredConsumer = "consuming" | "paused" | "stopped";
/** What the consumer is: `lost` (channel gone) and `stopped` are final. */
export type ConsumerState = "paused" | "consuming" | "stopped" | "lost";

export interface SessionEvents {
  /** A message arrived; settle it through this session only. */
  onMessage(message: ConsumeMessage, session: ConsumerSession): void;
  /** The channel or the consumer is gone; the connection is being replaced. */
  onLost(session: ConsumerSession, reason: Error): void;
}

/**
 * One channel's worth of consuming, created on every (re)connect. Delivery tags belong to it, so a
 * message is settled only while its session is alive; after that the broker redelivers it.
 *
 * The consumer is a small state machine: the owner sets the desired state (`consuming`, `paused`,
 * `stopped`) and one reconcile loop moves the actual state towards it with basic.consume /
 * basic.cancel, checking the desired state again after every await, so a pause that arrives while a
 * consume-ok is on its way is never lost.
 */
export class ConsumerSession {
  private state: ConsumerState = "paused";
  private desired: DesiredConsumer = "paused";
  private consumerTag: string | undefined;
  private reconciling: Promise<void> | undefined;

  constructor(
    readonly channel: ConfirmChannel,
    private readonly config: AgentConfig,
    private readonly events: SessionEvents,
  ) {
    channel.on("error", () => {
      // The 'close' that follows carries the consequence; the error is reported there.
    });
    channel.on("close", () => this.lose(new Error("channel closed")));
  }

  /** Opens a channel, declares (or checks) the topology and starts consuming. */
  static async open(
    model: ChannelModel,
    config: AgentConfig,
    events: SessionEvents,
  ): Promise<ConsumerSession> {
    const channel = await model.createConfirmChannel();
    const session = new ConsumerSession(channel, config, events);
    try {
      await prepareTopology(model, channel, config);
      await session.setDesired("consuming");
    } catch (error) {
      session.lose(toError(error));
      await channel.close().catch(() => undefined);
      throw error;
    }
    if (session.state === "lost") throw new Error("the channel closed while consuming started");
    return session;
  }

  get alive(): boolean {
    return this.state !== "lost";
  }

  get consumerState(): ConsumerState {
    return this.state;
  }

  /** Asks for a state; resolves when the consumer got there (or can never: lost or stopped). */
  setDesired(desired: DesiredConsumer): Promise<void> {
    if (this.state === "lost" || this.desired === "stopped") return this.reconciling ?? Promise.resolve();
    this.desired = desired;
    this.reconciling ??= this.reconcile().then(() => {
      this.reconciling = undefined;
      // A request that came after the loop's last check, while it was ending: go again.
      if (this.settled()) return;
      return this.setDesired(this.desired);
    });
    return this.reconciling;
  }

  /** Whether the consumer is where the owner wants it (or can go nowhere). */
  private settled(): boolean {
    if (this.state === "lost" || this.state === "stopped") return true;
    return this.desired === "consuming"
      ? this.state === "consuming"
      : this.state === "paused" && this.desired === "paused";
  }

  /** Marks the session dead (its delivery tags with it) and tells the owner once. */
  lose(reason: Error): void {
    if (this.state === "lost") return;
    this.state = "lost";
    this.consumerTag = undefined;
    this.events.onLost(this, reason);
  }

  /** Acks on this session's channel; false when the channel is gone (the broker redelivers). */
  ack(message: ConsumeMessage): boolean {
    return this.settle(() => this.channel.ack(message));
  }

  /** Gives a message back to the queue (basic.nack, requeue: not counted as a delivery by RabbitMQ 4.3+). */
  giveBack(message: ConsumeMessage): boolean {
    return this.settle(() => this.channel.nack(message, false, true));
  }

  /** Requeues a failed message with basic.reject, so a quorum queue's `x-delivery-limit` counts it. */
  requeue(message: ConsumeMessage): boolean {
    return this.settle(() => this.channel.reject(message, true));
  }

  /** Rejects without requeue: the queue's own dead-letter exchange, or dropped. */
  reject(message: ConsumeMessage): boolean {
    return this.settle(() => this.channel.reject(message, false));
  }

  /** Liveness probe of the channel; also reports the queue's ready messages. */
  async checkQueue(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`broker did not answer a health check within ${timeoutMs}ms`)),
        timeoutMs,
      );
    });
    try {
      const reply = await Promise.race([this.channel.checkQueue(this.config.amqp.queue), timeout]);
      return reply.messageCount;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops consuming for good and closes the channel; never throws. */
  async close(): Promise<void> {
    await this.setDesired("stopped").catch(() => undefined);
    const wasAlive = this.alive;
    this.state = "lost";
    if (wasAlive) await this.channel.close().catch(() => undefined);
  }

  private settle(send: () => void): boolean {
    if (this.state === "lost") return false;
    try {
      send();
      return true;
    } catch {
      return false;
    }
  }

  private async reconcile(): Promise<void> {
    try {
      for (;;) {
        const state = this.state as ConsumerState;
        if (state === "lost" || state === "stopped") return;
        if (this.desired === "consuming" && state === "paused") {
          const tag = await this.consume();
          if ((this.state as ConsumerState) === "lost") return;
          this.consumerTag = tag;
          this.state = "consuming";
        } else if (this.desired !== "consuming" && state === "consuming") {
          const tag = this.consumerTag;
          this.consumerTag = undefined;
          if (tag) await this.channel.cancel(tag);
          if ((this.state as ConsumerState) === "lost") return;
          this.state = "paused";
        } else if (this.desired === "stopped" && state === "paused") {
          this.state = "stopped";
        } else {
          return;
        }
      }
    } catch (error) {
      this.lose(toError(error));
    }
  }

  private async consume(): Promise<string> {
    const { amqp } = this.config;
    const reply = await this.channel.consume(
      amqp.queue,
      (message) => {
        if (message === null) {
          this.lose(new Error("consumer cancelled by the broker (was the queue deleted, or its node lost?)"));
          return;
        }
        this.events.onMessage(message, this);
      },
      { noAck: amqp.autoAck, exclusive: amqp.exclusive, noLocal: amqp.noLocal },
    );
    return reply.consumerTag;
  }
}
