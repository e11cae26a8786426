import { randomBytes } from "node:crypto";
import amqplib, { type ChannelModel, type ConfirmChannel } from "amqplib";
import { epochMs } from "./protocol.js";
import { declareReplyTarget, deleteReplyTarget, ReplyCollector, type ReplyTarget } from "./replies.js";

export const AMQP_URL = process.env.BENCH_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672/";

/** One queue of this run, bound to its own topic exchange exactly as the agent declares them. */
export interface BenchQueue {
  queue: string;
  exchange: string;
  /** Where the agent publishes its replies, for a variant with `replies`. */
  replies?: ReplyTarget;
}

const RUN_ID = randomBytes(3).toString("hex");
let sequence = 0;

/**
 * A message body: `{"ts":<publish epoch ms>,"i":n,"pad":"…"}` padded to `bytes`. The messageId
 * carries the timestamp too (`b:<ts>`), so the stub finds it in an rmq event without decoding data.
 */
function message(index: number, bytes: number): { body: Buffer; ts: number } {
  const ts = epochMs();
  const head = `{"ts":${ts.toFixed(3)},"i":${index},"pad":"`;
  const padding = Math.max(0, bytes - head.length - 2);
  return { body: Buffer.from(`${head}${"x".repeat(padding)}"}`), ts };
}

/**
 * W3C trace context for message `index` (the tracing scenario): a trace id of its own whose first 8
 * hex digits are the time (so X-Ray would take it too), a publisher span, a one-member tracestate.
 */
function traceHeaders(index: number, ts: number): Record<string, string> {
  const traceId = Math.floor(ts / 1000).toString(16) + RUN_ID + index.toString(16).padStart(18, "0");
  return { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: "rojo=00f067aa0ba902b7" };
}

/** Connects, retrying for up to 90 s while the broker is down (it is restarted now and then). */
async function connectPatiently(): Promise<ChannelModel> {
  const deadline = performance.now() + 90_000;
  for (;;) {
    try {
      return await amqplib.connect(AMQP_URL, {
        clientProperties: { connection_name: "amqp-lambda-agent-bench" },
      });
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/**
 * The orchestrator's own broker connection: declares, fills, drips into and deletes queues.
 * Reconnects on the next call after the broker dropped it (the broker is restarted now and then).
 */
export class BenchBroker {
  private readonly declared = new Set<BenchQueue>();
  private connection: ChannelModel | undefined;
  private channel!: ConfirmChannel;

  static async connect(): Promise<BenchBroker> {
    const broker = new BenchBroker();
    await broker.open();
    return broker;
  }

  private async open(): Promise<ConfirmChannel> {
    if (this.connection) return this.channel;
    const connection = await connectPatiently();
    const channel = await connection.createConfirmChannel();
    const lost = () => {
      if (this.connection === connection) this.connection = undefined;
    };
    connection.on("error", () => undefined);
    connection.on("close", lost);
    channel.on("error", () => undefined);
    channel.on("close", () => {
      lost();
      void connection.close().catch(() => undefined);
    });
    this.connection = connection;
    this.channel = channel;
    return channel;
  }

  /** A fresh queue and exchange, named `bench-<run>-<label>-<n>` (`replies`: and a reply target). */
  async declare(label: string, replies = false): Promise<BenchQueue> {
    sequence += 1;
    const name = `bench-${RUN_ID}-${label}-${sequence}`;
    const q: BenchQueue = { queue: name, exchange: `${name}-x` };
    const channel = await this.open();
    await channel.assertExchange(q.exchange, "topic", { durable: false, autoDelete: false });
    await channel.assertQueue(q.queue, { durable: false, autoDelete: false, exclusive: false });
    await channel.bindQueue(q.queue, q.exchange, "#");
    if (replies) q.replies = await declareReplyTarget(channel, name);
    this.declared.add(q);
    return q;
  }

  /** Publishes `count` messages of `bytes` each (`traced`: with trace context) and waits for the confirms. */
  async fill(q: BenchQueue, count: number, bytes: number, traced = false): Promise<void> {
    const channel = await this.open();
    const window = bytes > 64 * 1024 ? 50 : 2000;
    for (let i = 0; i < count; i += 1) {
      this.publishOne(channel, q, i, bytes, traced);
      if ((i + 1) % window === 0) await channel.waitForConfirms();
    }
    await channel.waitForConfirms();
  }

  /** Publishes at `ratePerSecond` for `seconds` (open loop, 10 ms ticks); returns the count. */
  async drip(
    q: BenchQueue,
    ratePerSecond: number,
    seconds: number,
    bytes: number,
    traced = false,
  ): Promise<number> {
    const channel = await this.open();
    const total = Math.round(ratePerSecond * seconds);
    const started = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * ratePerSecond));
      while (sent < due) {
        this.publishOne(channel, q, sent, bytes, traced);
        sent += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await channel.waitForConfirms();
    return total;
  }

  async messageCount(q: BenchQueue): Promise<number> {
    return (await (await this.open()).checkQueue(q.queue)).messageCount;
  }

  async delete(q: BenchQueue): Promise<void> {
    this.declared.delete(q);
    const channel = await this.open().catch(() => undefined);
    await channel?.deleteQueue(q.queue).catch(() => undefined);
    // The agent declares its dead-letter queue, its retry set-aside queue and its own exchange.
    await channel?.deleteQueue(`${q.queue}.dlq`).catch(() => undefined);
    await channel?.deleteQueue(`${q.queue}.retry.setaside`).catch(() => undefined);
    await channel?.deleteExchange(`${q.queue}.agent`).catch(() => undefined);
    await channel?.deleteExchange(q.exchange).catch(() => undefined);
    if (channel && q.replies) await deleteReplyTarget(channel, q.replies);
  }

  /** Starts timing the replies of a queue declared with `replies` (undefined for the others). */
  async collectReplies(q: BenchQueue): Promise<ReplyCollector | undefined> {
    if (!q.replies) return undefined;
    await this.open();
    return ReplyCollector.start(this.connection as ChannelModel, q.replies);
  }

  /** Deletes every queue still declared, then closes. Never throws. */
  async close(): Promise<void> {
    for (const q of [...this.declared]) await this.delete(q).catch(() => undefined);
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close().catch(() => undefined);
  }

  private publishOne(
    channel: ConfirmChannel,
    q: BenchQueue,
    index: number,
    bytes: number,
    traced: boolean,
  ): void {
    const { body, ts } = message(index, bytes);
    channel.publish(q.exchange, "bench", body, {
      contentType: "application/json",
      messageId: `b:${ts.toFixed(3)}`,
      ...(traced ? { headers: traceHeaders(index, ts) } : {}),
    });
  }
}
