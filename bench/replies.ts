/**
 * Replies in the bench (issue 20): a variant with `replies` runs the agent with `async/amqp.reply`
 * in `exchange` mode, publishing each result to a fanout exchange the bench declares, bound to one
 * queue. In the latency phase the bench consumes that queue and times publish → reply delivered
 * (the reply's `correlation_id` is the input's `message_id`, `b:<publish epoch ms>`).
 */
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from "amqplib";
import { percentile } from "./measure.js";
import { epochMs } from "./protocol.js";

/** The results exchange (fanout, never declared by the agent) and the queue bound to it. */
export interface ReplyTarget {
  exchange: string;
  queue: string;
}

/**
 * Nobody consumes the drain's replies: the queue keeps the newest 1,000 and drops the oldest
 * (`drop-head`, RabbitMQ's default overflow, never refuses a publish: a reply the broker nacked
 * or returned would be retried by the agent forever, holding its input).
 */
const KEEP = 1000;

export async function declareReplyTarget(channel: ConfirmChannel, name: string): Promise<ReplyTarget> {
  const target: ReplyTarget = { exchange: `${name}-replies`, queue: `${name}.replies` };
  await channel.assertExchange(target.exchange, "fanout", { durable: false, autoDelete: false });
  await channel.assertQueue(target.queue, {
    durable: false,
    autoDelete: false,
    arguments: { "x-max-length": KEEP },
  });
  await channel.bindQueue(target.queue, target.exchange, "");
  return target;
}

export async function deleteReplyTarget(channel: ConfirmChannel, target: ReplyTarget): Promise<void> {
  await channel.deleteQueue(target.queue).catch(() => undefined);
  await channel.deleteExchange(target.exchange).catch(() => undefined);
}

/** `async/amqp.reply` for an agent publishing to `target`. */
export function replyConfig(target: ReplyTarget): Record<string, unknown> {
  return { mode: "exchange", exchange: target.exchange };
}

/** Publish → reply delivered, p50/p99 ms, over the latency phase. */
export interface ReplyLatency {
  replyP50Ms: number;
  replyP99Ms: number;
}

const PUBLISHED_AT = /^b:([0-9.]+)$/;

/**
 * Consumes the replies of the latency phase on a channel of its own (no ack: a requester's
 * direct reply-to consumer works the same way). Replies to messages published before it started
 * (the drain's, still arriving) are not counted.
 */
export class ReplyCollector {
  private readonly latencies: number[] = [];

  private constructor(
    private readonly channel: Channel,
    private readonly since: number,
  ) {}

  /** Empties the reply queue, then consumes it. */
  static async start(connection: ChannelModel, target: ReplyTarget): Promise<ReplyCollector> {
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    await channel.purgeQueue(target.queue);
    const collector = new ReplyCollector(channel, epochMs());
    await channel.consume(target.queue, (m) => m && collector.take(m), { noAck: true });
    return collector;
  }

  /** Waits for `count` replies (no new one for `stallMs`: fails), stops consuming, returns the percentiles. */
  async finish(count: number, stallMs = 10_000): Promise<ReplyLatency> {
    let seen = -1;
    let progressAt = performance.now();
    while (this.latencies.length < count && performance.now() - progressAt < stallMs) {
      if (this.latencies.length !== seen) {
        seen = this.latencies.length;
        progressAt = performance.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.channel.close().catch(() => undefined);
    if (this.latencies.length < count) {
      throw new Error(`${this.latencies.length} of ${count} replies arrived (none for ${stallMs} ms)`);
    }
    return { replyP50Ms: percentile(this.latencies, 50), replyP99Ms: percentile(this.latencies, 99) };
  }

  private take(m: ConsumeMessage): void {
    const at = epochMs();
    const match = PUBLISHED_AT.exec(String(m.properties.correlationId ?? ""));
    const publishedAt = match ? Number(match[1]) : Number.NaN;
    if (publishedAt >= this.since) this.latencies.push(at - publishedAt);
  }
}
