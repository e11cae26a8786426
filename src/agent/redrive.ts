import amqplib, { type ConfirmChannel, type GetMessage, type Options } from "amqplib";
import { socketOptions } from "../amqp/connect-options.js";
import type { AgentConfig } from "../config/types.js";
import { toError } from "../errors.js";
import { redriveOptions } from "./dead-letter.js";

export interface RedriveProgress {
  moved: number;
  skipped: number;
  remaining: number;
}

/**
 * Moves dead letters back onto the exchange with their original routing key. Each message is
 * removed from the dead-letter queue only after the broker confirmed the republish and did not
 * return it as unroutable. A message without the agent's headers, or one that no queue would
 * receive, stays in the dead-letter queue (counted as skipped).
 */
export async function redrive(
  config: AgentConfig,
  limit: number,
  onProgress: (progress: RedriveProgress) => void,
): Promise<RedriveProgress> {
  const connection = await amqplib.connect(config.amqp.url, socketOptions(config));
  connection.on("error", () => undefined);
  try {
    const channel = await connection.createConfirmChannel();
    // A missing exchange closes the channel: the pending publish then rejects and redrive stops.
    channel.on("error", () => undefined);
    const { messageCount } = await channel.checkQueue(config.amqp.deadLetterQueue);
    const target = Math.min(limit, messageCount);
    const progress: RedriveProgress = { moved: 0, skipped: 0, remaining: messageCount };
    const keep: GetMessage[] = [];
    while (progress.moved + progress.skipped < target) {
      const message = await channel.get(config.amqp.deadLetterQueue, { noAck: false });
      if (!message) break;
      const back = redriveOptions(message);
      if (
        !back ||
        !(await republish(channel, back.exchange, back.routingKey, message.content, back.options))
      ) {
        keep.push(message);
        progress.skipped += 1;
        continue;
      }
      channel.ack(message);
      progress.moved += 1;
      progress.remaining = Math.max(0, messageCount - progress.moved);
      if (progress.moved % 100 === 0) onProgress({ ...progress });
    }
    // What could not be placed goes back to the dead-letter queue untouched.
    for (const message of keep) channel.nack(message, false, true);
    await channel.close();
    progress.remaining = Math.max(0, messageCount - progress.moved);
    onProgress({ ...progress });
    return progress;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Publishes with `mandatory`; true once confirmed and not returned as unroutable. */
async function republish(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
): Promise<boolean> {
  let returned = false;
  const onReturn = () => {
    returned = true;
  };
  channel.on("return", onReturn);
  try {
    await new Promise<void>((resolve, reject) =>
      channel.publish(exchange, routingKey, content, { ...options, mandatory: true }, (error) =>
        error ? reject(toError(error)) : resolve(),
      ),
    );
  } finally {
    channel.off("return", onReturn);
  }
  return !returned;
}
