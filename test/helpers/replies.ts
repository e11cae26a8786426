import amqplib, { type Channel, type ChannelModel, type ConsumeMessage } from "amqplib";
import { AMQP_URL } from "./broker.js";

export const REPLIER_FUNCTION = "amqp-lambda-agent-example-dev-replier";

/** A connection of its own that collects every reply arriving on a queue (or direct reply-to). */
export class ReplyCollector {
  readonly replies: ConsumeMessage[] = [];

  private constructor(
    private readonly connection: ChannelModel,
    readonly channel: Channel,
  ) {}

  /** Consumes `queue` (acking each reply), or `amq.rabbitmq.reply-to` (no-ack, as RabbitMQ requires). */
  static async on(queue: string): Promise<ReplyCollector> {
    const connection = await amqplib.connect(AMQP_URL, {
      clientProperties: { connection_name: "amqp-lambda-agent-test-requester" },
    });
    connection.on("error", () => undefined);
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    const collector = new ReplyCollector(connection, channel);
    const direct = queue === "amq.rabbitmq.reply-to";
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        collector.replies.push(message);
        if (!direct) channel.ack(message);
      },
      { noAck: direct },
    );
    return collector;
  }

  /** The body of each reply, parsed. */
  bodies(): Array<{ id: number; answer: number }> {
    return this.replies.map((reply) => JSON.parse(reply.content.toString("utf8")));
  }

  /** Correlation ids, and how many replies each got. */
  byCorrelationId(): Map<string, ConsumeMessage[]> {
    const seen = new Map<string, ConsumeMessage[]>();
    for (const reply of this.replies) {
      const id = String(reply.properties.correlationId);
      seen.set(id, [...(seen.get(id) ?? []), reply]);
    }
    return seen;
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}

/** Requests `{id}` for each id, with correlation id `c-<id>` and `replyTo`. */
export function requests(count: number, from = 0, extra: Record<string, unknown> = {}) {
  return Array.from({ length: count }, (_, i) => ({ id: from + i, ...extra }));
}
