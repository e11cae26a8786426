import type { AgentConfig } from "../config/types.js";
import type { InvokeFailure } from "../lambda/invoke-outcome.js";

/** What happens to a message once its last attempt is over. Decided here and nowhere else. */
export type Settlement =
  | { action: "ack" }
  | { action: "none" }
  | { action: "dead_letter" }
  | { action: "requeue"; delayMs: number }
  | { action: "reject" };

/**
 * The one decision of ack / dead-letter / requeue / reject:
 * - success: ack (nothing with `auto_ack`, the broker already forgot the message);
 * - failure with the `dead_letter` policy: publish to the dead-letter queue (then ack), also with
 *   `auto_ack`, so a failed message is never dropped silently;
 * - `requeue`: nack with requeue after a pause (KrakenD's default, minus the hot loop);
 * - `reject`: nack without requeue (the queue's own DLX, or dropped: KrakenD's `nack_discard`).
 * With `auto_ack` requeue and reject have no message to act on.
 */
export function decideSettlement(failure: InvokeFailure | undefined, amqp: AgentConfig["amqp"]): Settlement {
  if (!failure) return amqp.autoAck ? { action: "none" } : { action: "ack" };
  if (amqp.failurePolicy === "dead_letter") return { action: "dead_letter" };
  if (amqp.autoAck) return { action: "none" };
  if (amqp.failurePolicy === "requeue") return { action: "requeue", delayMs: amqp.requeueDelayMs };
  return { action: "reject" };
}

/** Whether a failed message gets another attempt now. */
export function shouldRetry(failure: InvokeFailure, attemptsSoFar: number, maxRetries: number): boolean {
  return failure.retryable && attemptsSoFar <= maxRetries;
}
