import type { GetMessage } from "amqplib";
import { publishConfirmed } from "../amqp/confirmed-publish.js";
import { connectAnyNode } from "../amqp/connect-any-node.js";
import type { TlsMaterial } from "../amqp/connect-options.js";
import type { AgentConfig } from "../config/types.js";
import { redriveOptions } from "../copies/dead-letter.js";

export interface RedriveProgress {
  moved: number;
  skipped: number;
  remaining: number;
}

const CONFIRM_TIMEOUT_MS = 30_000;

/**
 * Moves dead letters back onto their original exchange with their original routing key (never
 * routed by their own CC/BCC headers), with a fresh retry schedule. Each message is removed from the
 * dead-letter queue only after the broker confirmed the republish and did not return it as
 * unroutable. A message without the agent's headers, or one that no queue would receive, stays in
 * the dead-letter queue (counted as skipped). Retry queues drain themselves: only dead letters move.
 */
export async function redrive(
  config: AgentConfig,
  tls: TlsMaterial,
  limit: number,
  onProgress: (progress: RedriveProgress) => void,
): Promise<RedriveProgress> {
  const connection = await connectAnyNode(config, tls);
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
      const result = back
        ? await publishConfirmed(
            channel,
            back.exchange,
            back.routingKey,
            message.content,
            back.options,
            CONFIRM_TIMEOUT_MS,
          )
        : "unroutable";
      if (result !== "confirmed") {
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
