/**
 * Stand-ins for amqplib's channel and channel model. The consumer's answers (consume-ok, cancel-ok)
 * and the broker's confirms are given by hand, so every interleaving of the owner's requests with
 * the broker's answers can be reached; declares and passive checks are recorded and fail where the
 * test says.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { ChannelModel, ConfirmChannel, ConsumeMessage, Message, Options } from "amqplib";

interface Pending<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

type ConsumeCallback = (message: ConsumeMessage | null) => void;

/** An error as amqplib reports a channel closed by the broker: the AMQP reply code on `code`. */
export function replyError(code: number, text: string): Error {
  return Object.assign(new Error(`Channel closed by server: ${code} (${text})`), { code });
}

export class FakeChannel extends EventEmitter {
  readonly consumes: Array<
    { queue: string; callback: ConsumeCallback; options: unknown } & Pending<{ consumerTag: string }>
  > = [];
  readonly cancels: Array<{ tag: string } & Pending<void>> = [];
  readonly settled: unknown[][] = [];
  /** Declares, bindings, passive checks and qos, in order: `[method, name, ...]`. */
  readonly topology: unknown[][] = [];
  /** Publishes waiting for their confirm: answer with `confirm(i)` / `nack(i)`. */
  readonly publishes: Array<{
    exchange: string;
    routingKey: string;
    content: Buffer;
    options: Options.Publish;
    callback: (error: unknown) => void;
  }> = [];
  /** `method:name` → the error that call fails with. */
  readonly failures = new Map<string, Error>();
  closed = 0;
  /** When set, ack/nack/reject throw it (amqplib throws on a closed channel). */
  failSettle: Error | undefined;
  /** What `checkQueue` answers (for the health check); pending until given when undefined. */
  messageCount: number | undefined = 0;

  consume(queue: string, callback: ConsumeCallback, options: unknown): Promise<{ consumerTag: string }> {
    return new Promise((resolve, reject) =>
      this.consumes.push({ queue, callback, options, resolve, reject }),
    );
  }

  cancel(tag: string): Promise<void> {
    return new Promise((resolve, reject) => this.cancels.push({ tag, resolve, reject }));
  }

  ack(...args: unknown[]): void {
    this.record("ack", args);
  }

  nack(...args: unknown[]): void {
    this.record("nack", args);
  }

  reject(...args: unknown[]): void {
    this.record("reject", args);
  }

  async close(): Promise<void> {
    this.closed += 1;
  }

  assertExchange(name: string, type: string, options: unknown) {
    return this.declare("assertExchange", name, type, options);
  }

  assertQueue(name: string, options: unknown) {
    return this.declare("assertQueue", name, options);
  }

  bindQueue(queue: string, exchange: string, routingKey: string, args?: unknown) {
    return this.declare("bindQueue", queue, exchange, routingKey, args);
  }

  checkExchange(name: string) {
    return this.declare("checkExchange", name);
  }

  checkQueue(name: string) {
    if (this.messageCount === undefined && !this.failures.has(`checkQueue:${name}`)) {
      this.topology.push(["checkQueue", name]);
      return new Promise<never>(() => undefined);
    }
    return this.declare("checkQueue", name).then(() => ({ queue: name, messageCount: this.messageCount }));
  }

  prefetch(count: number, global: boolean) {
    return this.declare("prefetch", count, global);
  }

  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
    callback: (error: unknown) => void,
  ): boolean {
    this.publishes.push({ exchange, routingKey, content, options, callback });
    return true;
  }

  /** The broker confirms publish `index`. */
  confirm(index: number): void {
    this.publishes[index]?.callback(null);
  }

  /** The broker returns publish `index` as unroutable (basic.return comes before its basic.ack). */
  returnUnroutable(index: number): void {
    const publish = this.publishes[index];
    assert.ok(publish, `no publish #${index}`);
    this.emit("return", { content: publish.content, properties: publish.options } as unknown as Message);
  }

  /** Consumers the broker would count: consume-oks given minus cancel-oks given. */
  activeConsumers = 0;

  consumeOk(index: number, tag: string): void {
    const pending = this.consumes[index];
    assert.ok(pending, `no basic.consume #${index} was sent`);
    this.activeConsumers += 1;
    pending.resolve({ consumerTag: tag });
  }

  cancelOk(index: number): void {
    const pending = this.cancels[index];
    if (!pending) return;
    this.activeConsumers -= 1;
    pending.resolve();
  }

  get asConfirmChannel(): ConfirmChannel {
    return this as unknown as ConfirmChannel;
  }

  private async declare(method: string, name: unknown, ...rest: unknown[]): Promise<void> {
    this.topology.push([method, name, ...rest]);
    const failure = this.failures.get(`${method}:${String(name)}`);
    if (failure) throw failure;
  }

  private record(method: string, args: unknown[]): void {
    if (this.failSettle) throw this.failSettle;
    this.settled.push([method, ...args]);
  }
}

/**
 * A channel model (a connection): one confirm channel for the session or the publisher, a new channel
 * for every passive check; the broker's connection events (`blocked`, `unblocked`, `error`, `close`)
 * are emitted by the test.
 */
export class FakeModel extends EventEmitter {
  readonly confirmChannel = new FakeChannel();
  readonly channels: FakeChannel[] = [];
  /** Times `close()` was called. */
  closes = 0;
  private ended = false;
  /** When set, `createConfirmChannel` waits for it (resolved: the channel; rejected: that error). */
  confirmChannelAnswer: Promise<void> | undefined;

  /** `method:name` failures of the confirm channel, which every new channel gets too. */
  get failures(): Map<string, Error> {
    return this.confirmChannel.failures;
  }

  async createConfirmChannel(): Promise<FakeChannel> {
    await this.confirmChannelAnswer;
    return this.confirmChannel;
  }

  /** When set, `close()` rejects with it, as amqplib's does on a connection already gone (after `close`). */
  closeError: Error | undefined;

  async close(): Promise<void> {
    this.closes += 1;
    this.drop();
    if (this.closeError) throw this.closeError;
  }

  /** The connection ends (closed by either side): `close` is emitted once, as amqplib does. */
  drop(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit("close");
  }

  async createChannel(): Promise<FakeChannel> {
    const channel = new FakeChannel();
    for (const [key, error] of this.failures) channel.failures.set(key, error);
    this.channels.push(channel);
    return channel;
  }

  get asModel(): ChannelModel {
    return this as unknown as ChannelModel;
  }
}

/** Two cluster nodes with credentials in their URLs (which must never reach a log). */
export const NODES = ["amqp://u:secret@a:5672/", "amqp://u:secret@b:5673/"];

/** What became of a promise so far, without awaiting it. */
export function settled<T>(promise: Promise<T>) {
  const seen: { done: boolean; value?: T; error?: Error } = { done: false };
  promise.then(
    (value) => Object.assign(seen, { done: true, value }),
    (error: Error) => Object.assign(seen, { done: true, error }),
  );
  return seen;
}
