import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before } from "node:test";
import { promisify } from "node:util";
import amqplib, { type ChannelModel, type ConfirmChannel, type GetMessage, type Options } from "amqplib";

export const AMQP_URL = process.env.TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672/";
const run = promisify(execFile);

/** A name no other test uses: `<prefix>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/** A test's own connection to the broker, for publishing and inspecting queues. */
export class TestBroker {
  private constructor(
    private readonly connection: ChannelModel,
    readonly channel: ConfirmChannel,
  ) {}

  static async connect(): Promise<TestBroker> {
    const connection = await amqplib.connect(AMQP_URL, {
      clientProperties: { connection_name: "amqp-lambda-agent-test" },
    });
    connection.on("error", () => undefined);
    const channel = await connection.createConfirmChannel();
    return new TestBroker(connection, channel);
  }

  async publish(
    exchange: string,
    routingKey: string,
    bodies: readonly unknown[],
    options: Options.Publish = {},
  ): Promise<void> {
    for (const body of bodies) {
      const content = Buffer.isBuffer(body)
        ? body
        : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
      const ok = this.channel.publish(exchange, routingKey, content, {
        contentType: "application/json",
        ...options,
      });
      if (!ok) await new Promise((resolve) => this.channel.once("drain", resolve));
    }
    await this.channel.waitForConfirms();
  }

  /** Ready messages in a queue (0 when the queue does not exist). */
  async ready(queue: string): Promise<number> {
    const channel = await this.connection.createChannel();
    channel.on("error", () => undefined);
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch {
      return 0;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Takes every message out of a queue (acked), e.g. to read a dead-letter queue. */
  async drain(queue: string): Promise<GetMessage[]> {
    const taken: GetMessage[] = [];
    for (;;) {
      const message = await this.channel.get(queue, { noAck: true });
      if (!message) return taken;
      taken.push(message);
    }
  }

  async declare(exchange: string, queue: string, topic: string, durable = false): Promise<void> {
    await this.channel.assertExchange(exchange, "topic", { durable });
    await this.channel.assertQueue(queue, { durable });
    await this.channel.bindQueue(queue, exchange, topic);
  }

  /**
   * Deletes `queues` and `exchanges`, and what the agent declared for each queue it consumed: its
   * `<queue>.retry.setaside` queue and its `<queue>.agent` exchange (both idempotent to delete).
   */
  async cleanup(exchanges: readonly string[], queues: readonly string[]): Promise<void> {
    const consumed = queues.filter((queue) => !/\.(dlq|retry|retry\.setaside)$/.test(queue));
    const allQueues = new Set([...queues, ...consumed.map((queue) => `${queue}.retry.setaside`)]);
    const allExchanges = new Set([...exchanges, ...consumed.map((queue) => `${queue}.agent`)]);
    for (const queue of allQueues) await this.channel.deleteQueue(queue).catch(() => undefined);
    for (const exchange of allExchanges) await this.channel.deleteExchange(exchange).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}

/** `rabbitmqctl` with a generous timeout; throws on failure. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run("rabbitmqctl", args, { timeout: 60_000 });
  return stdout;
}

/** Closes every broker connection whose client-provided name contains `namePart`. Returns how many. */
export async function closeConnections(namePart: string): Promise<number> {
  const listing = await rabbitmqctl(
    "list_connections",
    "pid",
    "client_properties",
    "--no-table-headers",
    "-q",
  );
  const pids = listing
    .split("\n")
    .filter((line) => line.includes(namePart))
    .map((line) => line.split("\t")[0] as string);
  for (const pid of pids) await rabbitmqctl("close_connection", pid, "closed by a fault-injection test");
  return pids.length;
}

/**
 * For one test suite: a broker connection opened before its tests, and exchange/queue names of its
 * own (queue, its `.dlq` and its set-aside queue) that are deleted after them.
 */
export class SuiteBroker {
  broker!: TestBroker;
  private readonly exchanges: string[] = [];
  private readonly queues: string[] = [];

  constructor() {
    before(async () => {
      this.broker = await TestBroker.connect();
    });
    after(async () => {
      await this.broker.cleanup(this.exchanges, this.queues);
      await this.broker.close();
    });
  }

  names(prefix: string): { exchange: string; queue: string } {
    const exchange = uniqueName(`${prefix}-x`);
    const queue = uniqueName(`${prefix}-q`);
    // The agent's own exchange (dead letters, retries) is named after the queue.
    this.exchanges.push(exchange, `${queue}.agent`);
    this.queues.push(queue, `${queue}.dlq`, `${queue}.retry.setaside`);
    return { exchange, queue };
  }

  /** More queues for this suite to delete afterwards (retry queues, other tests' targets). */
  track(...queues: string[]): void {
    this.queues.push(...queues);
  }

  /** A new connection, e.g. after the broker was restarted. */
  async reconnect(): Promise<void> {
    this.broker = await TestBroker.connect();
  }
}
