import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from "amqplib";
import type { AgentConfig } from "../config/types.js";
import { toError } from "../errors.js";
import { declareTopology } from "./topology.js";

export interface SessionEvents {
  /** A message arrived; settle it through this session only. */
  onMessage(message: ConsumeMessage, session: ConsumerSession): void;
  /** The channel or consumer is gone; the connection is being replaced. */
  onLost(session: ConsumerSession, reason: Error): void;
}

/**
 * One channel's worth of consuming: created on every (re)connect. Delivery tags belong to it, so a
 * message is settled only while its session is alive; after that the broker redelivers it.
 */
export class ConsumerSession {
  private aliveFlag = true;
  private consumerTag: string | undefined;
  private pausing: Promise<void> | undefined;
  private stopped = false;

  private constructor(
    readonly channel: ConfirmChannel,
    private readonly config: AgentConfig,
    private readonly events: SessionEvents,
  ) {}

  /** Opens a channel, declares the topology and starts consuming. */
  static async open(
    model: ChannelModel,
    config: AgentConfig,
    events: SessionEvents,
  ): Promise<ConsumerSession> {
    const channel = await model.createConfirmChannel();
    const session = new ConsumerSession(channel, config, events);
    channel.on("error", () => {
      // The 'close' that follows carries the consequence; the error itself is reported there.
    });
    channel.on("close", () => session.lose(new Error("channel closed")));
    await declareTopology(channel, config);
    await session.consume();
    return session;
  }

  get alive(): boolean {
    return this.aliveFlag;
  }

  get consuming(): boolean {
    return this.consumerTag !== undefined;
  }

  /** Marks the session dead (its delivery tags with it) and tells the owner once. */
  lose(reason: Error): void {
    if (!this.aliveFlag) return;
    this.aliveFlag = false;
    this.consumerTag = undefined;
    this.events.onLost(this, reason);
  }

  /** Stops deliveries (basic.cancel) without giving back what was already delivered. */
  async pause(): Promise<void> {
    const tag = this.consumerTag;
    if (!tag || !this.aliveFlag) return;
    this.consumerTag = undefined;
    this.pausing = this.channel.cancel(tag).then(
      () => undefined,
      () => undefined,
    );
    await this.pausing;
  }

  async resume(): Promise<void> {
    if (this.consumerTag || !this.aliveFlag || this.stopped) return;
    await this.pausing;
    if (this.consumerTag || !this.aliveFlag || this.stopped) return;
    await this.consume();
  }

  /** Stops deliveries for good (drain): a resume in progress or later does not start them again. */
  async stopConsuming(): Promise<void> {
    this.stopped = true;
    await this.pause();
  }

  /** Acks on this session's channel; false when the channel is gone (the broker redelivers). */
  ack(message: ConsumeMessage): boolean {
    return this.settle(() => this.channel.ack(message));
  }

  nack(message: ConsumeMessage, requeue: boolean): boolean {
    return this.settle(() => this.channel.nack(message, false, requeue));
  }

  private settle(send: () => void): boolean {
    if (!this.aliveFlag) return false;
    try {
      send();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Publishes to the dead-letter queue (declared with the topology on every connect) and resolves
   * once the broker has confirmed it. No declare per message: a burst of dead letters would queue
   * declares on the channel ahead of the health check.
   */
  async publishDeadLetter(content: Buffer, options: Options.Publish): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.channel.publish("", this.config.amqp.deadLetterQueue, content, options, (error) =>
        error ? reject(toError(error)) : resolve(),
      );
    });
  }

  /** Liveness probe of the channel; also reports the queue's backlog. */
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

  /** Cancels the consumer and closes the channel; never throws. */
  async close(): Promise<void> {
    await this.stopConsuming();
    this.aliveFlag = false;
    await this.channel.close().catch(() => undefined);
  }

  private async consume(): Promise<void> {
    const { amqp } = this.config;
    const reply = await this.channel.consume(
      amqp.queue,
      (message) => {
        if (message === null) {
          this.lose(new Error("consumer cancelled by the broker (was the queue deleted?)"));
          return;
        }
        this.events.onMessage(message, this);
      },
      { noAck: amqp.autoAck, exclusive: amqp.exclusive, noLocal: amqp.noLocal },
    );
    if (!this.aliveFlag) return;
    this.consumerTag = reply.consumerTag;
    // Stopped while consume-ok was on its way: cancel what just started.
    if (this.stopped) await this.pause();
  }
}
