import type { ConsumeMessage } from "amqplib";
import type { ConsumerSession } from "../amqp/consumer-session.js";

/** A message in the agent's hands, with the session whose channel must settle it. */
export interface Delivery {
  message: ConsumeMessage;
  session: ConsumerSession;
  /** `performance.now()` when it arrived. */
  receivedAt: number;
}
