import type { Options } from "amqplib";
import type { ReplyPublish } from "../copies/reply-message.js";

/** Publishes a copy through the agent's publishing connection (confirmed, `mandatory`). */
export type CopyPublisher = (
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
) => Promise<"confirmed" | "unroutable">;

/** Publishes a reply on the replies' own channel (confirms; `mandatory` as the reply says). */
export type ReplyPublisher = (reply: ReplyPublish) => Promise<"confirmed" | "unroutable">;
