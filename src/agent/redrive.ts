import amqplib from "amqplib";
import { socketOptions } from "../amqp/connect-options.js";
import type { AgentConfig } from "../config/types.js";
import { redriveOptions } from "./dead-letter.js";

export interface RedriveProgress {
  moved: number;
  skipped: number;
  remaining: number;
}

/**
 * Moves dead letters back onto the exchange with their original routing key. Each message is
 * removed from the dead-letter queue only after the broker confirmed the republish. A message
 * without the agent's headers is left in place (counted as skipped).
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
    const { messageCount } = await channel.checkQueue(config.amqp.deadLetterQueue);
    const target = Math.min(limit, messageCount);
    const progress: RedriveProgress = { moved: 0, skipped: 0, remaining: messageCount };
    const skipped = [];
    while (progress.moved + progress.skipped < target) {
      const message = await channel.get(config.amqp.deadLetterQueue, { noAck: false });
      if (!message) break;
      const back = redriveOptions(message);
      if (!back) {
        skipped.push(message);
        progress.skipped += 1;
        continue;
      }
      await new Promise<void>((resolve, reject) =>
        channel.publish(back.exchange, back.routingKey, message.content, back.options, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      channel.ack(message);
      progress.moved += 1;
      progress.remaining = Math.max(0, messageCount - progress.moved - progress.skipped);
      if (progress.moved % 100 === 0) onProgress({ ...progress });
    }
    // Messages we could not place go back to the dead-letter queue untouched.
    for (const message of skipped) channel.nack(message, false, true);
    await channel.close();
    progress.remaining = Math.max(0, messageCount - progress.moved);
    onProgress({ ...progress });
    return progress;
  } finally {
    await connection.close().catch(() => undefined);
  }
}
