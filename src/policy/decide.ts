import type { BackendResponse, Failure, FailureScope } from "../backends/backend.js";
import type { AgentConfig, FailurePolicy, RetryStep } from "../config/types.js";
import type { CircuitState } from "./circuit-breaker.js";

/** What happened to a held message, as the decision sees it. */
export type Happening =
  /** The backend call came to this for the message. */
  | { kind: "succeeded"; response?: BackendResponse }
  | { kind: "failed"; failure: Failure; scope: FailureScope }
  /** The backend refused the batch as too large. */
  | { kind: "split"; batchSize: number }
  /** Sent after an earlier message of its ordering key failed in the same batch: it did not count. */
  | { kind: "not_delivered" }
  /** The call threw (not expected: backends never throw). */
  | { kind: "crashed" }
  /** No filter pattern matched. */
  | { kind: "filtered" }
  /** It arrived on a session that opened while the agent was stopping (`closed`: already stopped). */
  | { kind: "arrived_while_stopping"; closed: boolean }
  /** The agent asks for the waiting messages back: draining, or a long circuit-breaker opening. */
  | { kind: "give_back_requested" }
  /** Its channel closed while it waited. */
  | { kind: "channel_lost" }
  /** The drain timed out with it still held. */
  | { kind: "drain_timeout" }
  /** Its dead-letter or retry copy could not be published. */
  | { kind: "copy_failed"; cause: "channel_closed" | "error" | "unroutable" }
  /** Its reply was confirmed by the broker. */
  | { kind: "replied" }
  /** Its reply was not published: an error (nack, timeout, missing exchange, no connection) or a return. */
  | { kind: "reply_failed"; cause: "error" | "unroutable" };

/** Where the message and the agent stand. */
export interface Situation {
  /** Attempts charged in this round, and platform failures seen (uncharged). */
  attempts: number;
  setbacks: number;
  /** Round trips through the retry queues so far. */
  retryRound: number;
  maxBatch: number;
  /** The breaker when the call started (or now, for what did not come from a call). */
  breaker: CircuitState;
  /** What opened it, while it is not closed. */
  openedBy: "platform_failures" | "function_errors" | undefined;
  /** The call was the breaker's probe. */
  probe: boolean;
  /** The message is in an ordering lane (`order_key`): it keeps its place, never set aside. */
  ordered: boolean;
  draining: boolean;
  /** Whether the channel that delivered it is still open. */
  channelAlive: boolean;
  /** A reply is to be published for it (`reply` configured, a target, an answer). */
  replyDue?: boolean;
  /** Publishes of its reply that failed so far. */
  replyFailures?: number;
}

/** The settings that shape the decision. */
export interface Policy {
  autoAck: boolean;
  failurePolicy: FailurePolicy;
  maxRetries: number;
  retrySteps: readonly RetryStep[];
  requeueDelayMs: number;
  /** The in-process backoff before attempt `n + 1` (exponential with jitter). */
  backoffMs(n: number): number;
  /** `reply.mode`; `undefined`: no replies. */
  replyMode?: "reply_to" | "exchange" | undefined;
}

/** What to do next. Only `retry` and `keep` leave the message held; every other step settles it. */
export type Step =
  /** Wait `delayMs`, then invoke again. */
  | { do: "retry"; delayMs: number }
  /** Nothing changes: it stays held (with `auto_ack` the agent must finish what it holds). */
  | { do: "keep" }
  | { do: "ack" }
  /** Publish its reply after `delayMs` (the result is kept: never invoked again), then ack on the confirm. */
  | { do: "reply"; delayMs: number }
  /** `auto_ack`: the broker already forgot the message; nothing to tell it. */
  | { do: "nothing" }
  /** Publish to the retry queue of `step`, then ack: the broker returns it after the delay. */
  | { do: "retry_queue"; step: RetryStep; round: number }
  /** Publish behind the queue's tail (the set-aside route), then ack: another message probes next. */
  | { do: "set_aside" }
  | { do: "dead_letter" }
  | { do: "requeue"; delayMs: number }
  | { do: "reject" }
  /** Back to the queue, not counted as a delivery, after `delayMs`. */
  | { do: "give_back"; delayMs: number }
  /** `auto_ack` and nowhere to put it: the message is gone (counted and logged). */
  | { do: "lost" }
  /** Its delivery tag is dead (the channel closed): the broker redelivers it. */
  | { do: "leave_to_broker" };

export interface Decision {
  step: Step;
  /** What the happening costs the message: an attempt (its own failure) or a setback (the platform's). */
  charge?: "attempt" | "setback";
  /** Its new largest batch (the backend refused a batch as too large). */
  maxBatch?: number;
  /** How the message ended, for the counters: set on the step that settles it. */
  ended?: "succeeded" | "filtered" | "failed";
}

export function policyOf(
  amqp: AgentConfig["amqp"],
  maxRetries: number,
  backoffMs: (n: number) => number,
): Policy {
  return {
    autoAck: amqp.autoAck,
    failurePolicy: amqp.failurePolicy,
    maxRetries,
    retrySteps: amqp.retrySteps,
    requeueDelayMs: amqp.requeueDelayMs,
    backoffMs,
    replyMode: amqp.reply?.mode,
  };
}

/**
 * The one decision of what happens to a held message: retry in memory (charged or not), split,
 * retry queue, dead-letter, requeue, reject, give back, ack, or nothing. Decided here and nowhere
 * else; the scheduler and the settler carry it out. Pure: time and chance come from `policy.backoffMs`.
 */
export function decide(happening: Happening, at: Situation, policy: Policy): Decision {
  const decision = decideAlive(happening, at, policy);
  // A delivery tag of a closed channel is dead: whatever was decided, the broker redelivers the
  // message. With `auto_ack` the broker forgot it already: the agent finishes it on a live channel.
  if (!policy.autoAck && !at.channelAlive && touchesChannel(decision.step)) {
    return { ...decision, step: { do: "leave_to_broker" } };
  }
  return decision;
}

function touchesChannel(step: Step): boolean {
  return step.do !== "keep" && step.do !== "leave_to_broker" && step.do !== "lost" && step.do !== "nothing";
}

function decideAlive(happening: Happening, at: Situation, policy: Policy): Decision {
  switch (happening.kind) {
    case "succeeded":
      if (at.replyDue) return { step: { do: "reply", delayMs: 0 }, ended: "succeeded" };
      return { step: done(policy), ended: "succeeded" };
    case "replied":
      return { step: done(policy) };
    case "reply_failed":
      // reply_to: a return means the requester went away; its reply is dropped, the queue goes on.
      if (happening.cause === "unroutable" && policy.replyMode === "reply_to") return { step: done(policy) };
      return { step: { do: "reply", delayMs: policy.backoffMs((at.replyFailures ?? 0) + 1) } };
    case "filtered":
      return { step: done(policy), ended: "filtered" };
    case "not_delivered":
      return again(at, policy, 0);
    case "split":
      return {
        ...again(at, policy, 0),
        maxBatch: Math.max(1, Math.ceil(Math.min(at.maxBatch, happening.batchSize) / 2)),
      };
    case "failed":
      return afterFailure(happening.scope, at, policy);
    case "crashed":
    case "give_back_requested":
      return { step: policy.autoAck ? keepOrLost(happening) : { do: "give_back", delayMs: 0 } };
    case "arrived_while_stopping":
      if (!policy.autoAck) return { step: { do: "give_back", delayMs: 0 } };
      return { step: happening.closed ? { do: "lost" } : { do: "keep" } };
    case "channel_lost":
      return { step: policy.autoAck ? { do: "keep" } : { do: "leave_to_broker" } };
    case "drain_timeout":
      return { step: policy.autoAck ? { do: "lost" } : { do: "leave_to_broker" } };
    case "copy_failed":
      if (policy.autoAck) return { step: { do: "lost" } };
      if (happening.cause === "channel_closed") return { step: { do: "leave_to_broker" } };
      return {
        step: { do: "give_back", delayMs: happening.cause === "unroutable" ? policy.requeueDelayMs : 0 },
      };
  }
}

/** Finished well: ack it (with `auto_ack` the broker forgot it already). */
function done(policy: Policy): Step {
  return policy.autoAck ? { do: "nothing" } : { do: "ack" };
}

function keepOrLost(happening: Happening): Step {
  // A crashed call under auto_ack cannot go back to the broker; a give-back request leaves it to finish.
  return happening.kind === "crashed" ? { do: "lost" } : { do: "keep" };
}

/** Invoke again after `delayMs`, unless the agent is draining (then it goes back to the broker). */
function again(at: Situation, policy: Policy, delayMs: number): Decision {
  if (at.draining && !policy.autoAck) return { step: { do: "give_back", delayMs: 0 } };
  return { step: { do: "retry", delayMs } };
}

function afterFailure(scope: FailureScope, at: Situation, policy: Policy): Decision {
  if (scope === "message") {
    return { step: finalStep(policy, at.retryRound, true), charge: "attempt", ended: "failed" };
  }
  if (scope === "ambiguous" && at.probe && at.openedBy === "function_errors")
    return afterFailedProbe(at, policy);
  // The platform's failure, or a function error while the breaker says the platform fails: uncharged.
  const charged = scope === "ambiguous" && at.breaker === "closed";
  if (!charged) {
    const delayMs = at.breaker === "closed" ? policy.backoffMs(at.setbacks + 1) : 0;
    return { ...again(at, policy, delayMs), charge: "setback" };
  }
  const attempts = at.attempts + 1;
  if (attempts > policy.maxRetries) {
    return { step: finalStep(policy, at.retryRound, false), charge: "attempt", ended: "failed" };
  }
  return { ...again(at, policy, policy.backoffMs(attempts)), charge: "attempt" };
}

/**
 * While the breaker is open on function errors, a probe's failure is the probed message's own
 * charge (a poison burst drains), and the message makes way: set aside behind the queue's tail, or,
 * in an ordering lane, left at the head of its lane while the next probe takes another lane's head.
 */
function afterFailedProbe(at: Situation, policy: Policy): Decision {
  if (at.attempts + 1 > policy.maxRetries) {
    return { step: finalStep(policy, at.retryRound, false), charge: "attempt", ended: "failed" };
  }
  if (at.ordered) return { ...again(at, policy, 0), charge: "attempt" };
  if (at.draining && !policy.autoAck) return { step: { do: "give_back", delayMs: 0 }, charge: "attempt" };
  return { step: { do: "set_aside" }, charge: "attempt" };
}

/**
 * A failed message's end: the next retry queue while `retry_delays` are left (not for a failure that
 * no later attempt could pass); then the failure policy. `dead_letter` publishes a copy then acks
 * (also with `auto_ack`, so a failed message is never dropped silently); with `auto_ack`, requeue and
 * reject have no message to act on: it is lost.
 */
function finalStep(policy: Policy, retryRound: number, permanent: boolean): Step {
  const step = policy.retrySteps[retryRound];
  if (step && !permanent) return { do: "retry_queue", step, round: retryRound + 1 };
  if (policy.failurePolicy === "dead_letter") return { do: "dead_letter" };
  if (policy.autoAck) return { do: "lost" };
  if (policy.failurePolicy === "requeue") return { do: "requeue", delayMs: policy.requeueDelayMs };
  return { do: "reject" };
}

/** With `auto_ack` the agent finishes what it holds (the broker has forgotten it), even while draining. */
export function finishesHeldWork(policy: Pick<Policy, "autoAck">): boolean {
  return policy.autoAck;
}
