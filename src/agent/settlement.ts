import type { AgentConfig, RetryStep } from "../config/types.js";
import type { Failure } from "./failure.js";

/** How a message's time in the agent ended. */
export type Finish =
  | { outcome: "succeeded" }
  /** No filter pattern matched: acknowledged without an invocation. */
  | { outcome: "filtered" }
  /** Its last attempt of this round failed; `permanent` when no later attempt could succeed. */
  | { outcome: "failed"; failure: Failure; permanent: boolean }
  /** Not invoked, handed back to the broker (shutdown, a long circuit-breaker opening). */
  | { outcome: "give_back" };

/** What happens to a message at the end. Decided here and nowhere else. */
export type Settlement =
  | { action: "ack" }
  /** `auto_ack`: the broker already forgot the message; nothing to tell it. */
  | { action: "none" }
  /** Publish to the retry queue of `step`, then ack: the broker returns it after the delay. */
  | { action: "retry_later"; step: RetryStep; round: number }
  | { action: "dead_letter" }
  | { action: "requeue"; delayMs: number }
  | { action: "reject" }
  | { action: "give_back" }
  /** `auto_ack` and nowhere to put it: the message is gone (counted and logged). */
  | { action: "lost" };

type Amqp = AgentConfig["amqp"];

/**
 * The one decision of ack / retry queue / dead-letter / requeue / reject / give back:
 * - success or filtered: ack (nothing with `auto_ack`);
 * - a failure that may pass with time, while `retry_delays` are left: the next retry queue;
 * - then the failure policy: `dead_letter` publishes a copy then acks (also with `auto_ack`, so a
 *   failed message is never dropped silently); `requeue` rejects with requeue after a pause;
 *   `reject` rejects without requeue (the queue's own DLX, or dropped);
 * - with `auto_ack`, requeue and reject have no message to act on: it is lost.
 */
export function decideSettlement(finish: Finish, amqp: Amqp, retryRound: number): Settlement {
  switch (finish.outcome) {
    case "succeeded":
    case "filtered":
      return amqp.autoAck ? { action: "none" } : { action: "ack" };
    case "give_back":
      return amqp.autoAck ? { action: "lost" } : { action: "give_back" };
    case "failed": {
      const step = amqp.retrySteps[retryRound];
      if (step && !finish.permanent) return { action: "retry_later", step, round: retryRound + 1 };
      if (amqp.failurePolicy === "dead_letter") return { action: "dead_letter" };
      if (amqp.autoAck) return { action: "lost" };
      if (amqp.failurePolicy === "requeue") return { action: "requeue", delayMs: amqp.requeueDelayMs };
      return { action: "reject" };
    }
  }
}

/**
 * Messages of a channel that closed: with `auto_ack` they are the agent's to finish (the broker has
 * forgotten them); otherwise their delivery tags are dead and the broker redelivers them.
 */
export function finishAfterChannelLoss(amqp: Amqp): boolean {
  return amqp.autoAck;
}

/** Whether a message not yet invoked can be handed back to the broker (not with `auto_ack`). */
export function canGiveBack(amqp: Amqp): boolean {
  return !amqp.autoAck;
}

/** After the broker confirmed a copy (dead letter, retry): ack the original; nothing with `auto_ack`. */
export function afterCopy(amqp: Amqp): "ack" | "none" {
  return amqp.autoAck ? "none" : "ack";
}

/** A copy could not be published: the original goes back to the queue; with `auto_ack` it is lost. */
export function whenCopyFails(amqp: Amqp): "give_back" | "lost" {
  return amqp.autoAck ? "lost" : "give_back";
}
