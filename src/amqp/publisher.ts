import { EventEmitter } from "node:events";
import amqplib, { type ChannelModel, type ConfirmChannel, type Options } from "amqplib";
import type { AgentConfig } from "../config/types.js";
import { toError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import { reconnectDelayMs } from "../shared/backoff.js";
import { type PublishResult, publishConfirmed } from "./confirmed-publish.js";
import { nodeAddress, socketOptions, type TlsMaterial } from "./connect-options.js";

export type PublisherState = "idle" | "connecting" | "ready" | "blocked" | "closed";

export interface PublisherEvents {
  state: [PublisherState, { reason?: string; node?: string }];
}

/** `replies`: the replies' own connection (a 404 closes only its channel), named apart. */
export type PublisherRole = "publisher" | "replies";

/** What a publisher needs; `connect` is amqplib's unless a test scripts the broker. */
export interface PublisherOptions {
  config: AgentConfig;
  tls: TlsMaterial;
  log: Logger;
  connect?: typeof amqplib.connect;
  /** Default `publisher`. */
  role?: PublisherRole;
}

/** Why the broker closed a channel (its AMQP reply code on `code`). */
const closedBy = new WeakMap<ConfirmChannel, Error>();

/** How long a publish may wait for a connection, or for a confirm, while the broker is not blocking it. */
const WAIT_MS = 30_000;

/**
 * The agent's publishing connection (dead letters, retries, set-asides), apart from the one it
 * consumes and acks on, as RabbitMQ advises: a resource alarm blocks only connections that publish,
 * so consuming and acking go on while copies wait. It follows the consumer to its node
 * (`follow`), reconnects on its own, and while blocked lets publishes wait without a timeout.
 */
export class Publisher extends EventEmitter<PublisherEvents> {
  private current: PublisherState = "idle";
  private target: number | undefined;
  private model: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private waiters: Array<() => void> = [];
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  private readonly config: AgentConfig;
  private readonly tls: TlsMaterial;
  private readonly log: Logger;
  private readonly connect: typeof amqplib.connect;
  private readonly role: PublisherRole;

  constructor(options: PublisherOptions) {
    super();
    ({ config: this.config, tls: this.tls, log: this.log } = options);
    this.connect = options.connect ?? amqplib.connect;
    this.role = options.role ?? "publisher";
  }

  get state(): PublisherState {
    return this.current;
  }

  /** Publish on the node at this index of the host list (the consumer's). */
  follow(nodeIndex: number): void {
    if (this.current === "closed") return;
    if (this.target === nodeIndex && this.model) return;
    const moved = this.target !== undefined && this.target !== nodeIndex;
    this.target = nodeIndex;
    if (moved) void this.model?.close().catch(() => undefined);
    this.loop ??= this.run();
    this.wake?.();
  }

  /**
   * Publishes with `mandatory` and waits for the confirm. Waits for a connection (at most 30 s of
   * unblocked time) and, while the broker blocks the connection, without a limit.
   */
  async publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
  ): Promise<PublishResult> {
    const channel = await this.writable();
    try {
      return await publishConfirmed(
        channel,
        exchange,
        routingKey,
        content,
        options,
        WAIT_MS,
        () => this.blocked,
      );
    } catch (thrown) {
      // The broker's reason for closing the channel (404: no such exchange) says more than "channel closed".
      throw closedBy.get(channel) ?? thrown;
    }
  }

  get blocked(): boolean {
    return this.current === "blocked";
  }

  private get closed(): boolean {
    return this.current === "closed";
  }

  async close(): Promise<void> {
    this.setState("closed");
    this.wake?.();
    const model = this.model;
    this.model = undefined;
    this.channel = undefined;
    await model?.close().catch(() => undefined);
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async writable(): Promise<ConfirmChannel> {
    let waitedMs = 0;
    while (!this.channel || this.current !== "ready") {
      if (this.current === "closed") throw new Error("the publishing connection is closed");
      if (this.current !== "blocked" && waitedMs >= WAIT_MS) {
        throw new Error(`no publishing connection to the broker within ${WAIT_MS}ms`);
      }
      const started = performance.now();
      const blocked = this.blocked;
      await this.nextChange(WAIT_MS - waitedMs);
      // Only time spent unblocked counts: a wait that began blocked is the alarm's, however it ended.
      if (!blocked) waitedMs += performance.now() - started;
    }
    return this.channel;
  }

  private nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(1, ms));
      this.waiters.push(done);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      const index = this.target as number;
      const url = this.config.amqp.urls[index] as string;
      const lasted = await this.connectTo(url);
      if (this.closed) return;
      failures = lasted ? 0 : failures + 1;
      if (this.target === index && failures > 0) {
        await new Promise<void>((resolve) => {
          const delayMs = Math.min(10_000, reconnectDelayMs("exponential-jitter", failures - 1));
          const timer = setTimeout(resolve, delayMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  /** One connection: resolves when it is over; true when it was established. */
  private async connectTo(url: string): Promise<boolean> {
    const node = nodeAddress(url);
    this.setState("connecting", { node });
    let model: ChannelModel;
    let channel: ConfirmChannel;
    try {
      model = await this.connect(url, socketOptions(this.config, url, this.tls, this.role));
    } catch (thrown) {
      this.log.debug({ err: toError(thrown), node }, `publishing connection to ${node} failed`);
      return false;
    }
    const closed = new Promise<void>((resolve) => model.once("close", () => resolve()));
    model.on("error", (error: Error) =>
      this.log.warn({ err: error, node }, `publishing connection error on ${node}`),
    );
    model.on("blocked", (reason: string) => this.setState("blocked", { reason, node }));
    model.on("unblocked", () => this.setState(this.channel ? "ready" : "connecting", { node }));
    try {
      channel = await model.createConfirmChannel();
    } catch (thrown) {
      await model.close().catch(() => undefined);
      this.log.debug({ err: toError(thrown), node }, "publishing channel failed");
      return false;
    }
    channel.on("error", (error: Error) => closedBy.set(channel, error));
    channel.on("close", () => void model.close().catch(() => undefined));
    if (this.closed) {
      await model.close().catch(() => undefined);
      return true;
    }
    if (this.target !== undefined && this.config.amqp.urls[this.target] !== url) {
      // The consumer moved to another node while this connection was being made: follow it.
      await model.close().catch(() => undefined);
      return true;
    }
    this.model = model;
    this.channel = channel;
    if (this.current === "connecting") this.setState("ready", { node });
    await closed;
    this.model = undefined;
    this.channel = undefined;
    return true;
  }

  private setState(state: PublisherState, detail: { reason?: string; node?: string } = {}): void {
    if (this.current === "closed" || this.current === state) return;
    this.current = state;
    this.emit("state", state, detail);
    for (const wake of this.waiters.splice(0)) wake();
  }
}
