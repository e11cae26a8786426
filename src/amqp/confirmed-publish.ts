import type { ConfirmChannel, Message, Options } from "amqplib";
import { toError } from "../errors.js";

/** A header the agent adds to its own publishes, to tell which one the broker returned. */
export const PUBLISH_ID_HEADER = "x-agent-publish-id";

export type PublishResult = "confirmed" | "unroutable";

const returnWatchers = new WeakMap<ConfirmChannel, Map<string, () => void>>();
let nextId = 0;

/**
 * Publishes with `mandatory` (unless `options.mandatory` is false) and waits (at most `timeoutMs`) for the broker's confirm. Resolves
 * `"unroutable"` when the broker returned the message (no queue is bound for it), `"confirmed"` when
 * it was routed; rejects on a nack, a closed channel or the timeout. While `paused()` says so (the
 * broker blocked the connection: a resource alarm), the timeout does not run out.
 */
export async function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
  timeoutMs: number,
  paused: () => boolean = () => false,
): Promise<PublishResult> {
  const id = String(++nextId);
  const watchers = watchReturns(channel);
  let returned = false;
  watchers.set(id, () => {
    returned = true;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const confirmed = new Promise<void>((resolve, reject) => {
      channel.publish(
        exchange,
        routingKey,
        content,
        {
          ...options,
          mandatory: options.mandatory ?? true,
          headers: { ...options.headers, [PUBLISH_ID_HEADER]: id },
        },
        (error) => (error ? reject(toError(error)) : resolve()),
      );
    });
    const timeout = new Promise<never>((_, reject) => {
      const expire = () => {
        if (paused()) {
          timer = setTimeout(expire, timeoutMs);
          return;
        }
        reject(new Error(`the broker did not confirm a publish to "${exchange}" within ${timeoutMs}ms`));
      };
      timer = setTimeout(expire, timeoutMs);
    });
    await Promise.race([confirmed, timeout]);
    // The broker sends basic.return before the basic.ack of the same message.
    return returned ? "unroutable" : "confirmed";
  } finally {
    clearTimeout(timer);
    watchers.delete(id);
  }
}

function watchReturns(channel: ConfirmChannel): Map<string, () => void> {
  let watchers = returnWatchers.get(channel);
  if (!watchers) {
    const map = new Map<string, () => void>();
    channel.on("return", (message: Message) => {
      const id = message.properties.headers?.[PUBLISH_ID_HEADER];
      if (typeof id === "string") map.get(id)?.();
    });
    returnWatchers.set(channel, map);
    watchers = map;
  }
  return watchers;
}
