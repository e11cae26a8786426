import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Failure } from "../../../src/backends/backend.js";
import {
  type Decision,
  decide,
  type Happening,
  type Policy,
  type Situation,
} from "../../../src/policy/decide.js";
import { testPolicy } from "../pipeline/fakes.js";

const fnError: Failure = { kind: "function_error", errorType: "Error", message: "boom", durationMs: 1 };
const throttle: Failure = {
  kind: "throttled",
  errorType: "TooManyRequestsException",
  message: "t",
  durationMs: 1,
};
const badBody: Failure = { kind: "bad_message", errorType: "InvalidJsonBody", message: "b", durationMs: 0 };
const steps = [
  { delayMs: 2000, queue: "q.retry.2s", routingKey: "retry.2s" },
  { delayMs: 4000, queue: "q.retry.4s", routingKey: "retry.4s" },
];

const ambiguous: Happening = { kind: "failed", failure: fnError, scope: "ambiguous" };
const systemic: Happening = { kind: "failed", failure: throttle, scope: "systemic" };
const own: Happening = { kind: "failed", failure: badBody, scope: "message" };

/** The settings, with a deterministic backoff (100 ms × n). */
const policy = testPolicy;

function at(overrides: Partial<Situation> = {}): Situation {
  return {
    attempts: 0,
    setbacks: 0,
    retryRound: 0,
    maxBatch: 10,
    breaker: "closed",
    openedBy: undefined,
    probe: false,
    ordered: false,
    draining: false,
    channelAlive: true,
    ...overrides,
  };
}

/** The breaker's probe, while it is open on function errors. */
const probing = (overrides: Partial<Situation> = {}) =>
  at({ breaker: "half_open", openedBy: "function_errors", probe: true, ...overrides });

type Row = [string, Happening, Situation, Policy, Decision];

/** Every exit of a held message, each a row: what happened, where it stood, the settings → the step. */
const table: Row[] = [
  // Success and filters.
  ["success acks", { kind: "succeeded" }, at(), policy(), { step: { do: "ack" }, ended: "succeeded" }],
  [
    "success with auto_ack does nothing",
    { kind: "succeeded" },
    at(),
    policy({ autoAck: true }),
    { step: { do: "nothing" }, ended: "succeeded" },
  ],
  [
    "a filtered message is acked",
    { kind: "filtered" },
    at(),
    policy(),
    { step: { do: "ack" }, ended: "filtered" },
  ],
  [
    "a filtered auto_ack message: nothing to tell the broker",
    { kind: "filtered" },
    at(),
    policy({ autoAck: true }),
    { step: { do: "nothing" }, ended: "filtered" },
  ],
  // In-process retries.
  [
    "a function error with attempts left: retry after a backoff, charged",
    ambiguous,
    at({ attempts: 1 }),
    policy(),
    { step: { do: "retry", delayMs: 200 }, charge: "attempt" },
  ],
  [
    "a platform failure: retry after a backoff, uncharged (a setback)",
    systemic,
    at({ setbacks: 2 }),
    policy(),
    { step: { do: "retry", delayMs: 300 }, charge: "setback" },
  ],
  [
    "a function error while the breaker is open: invoke again uncharged, no backoff",
    ambiguous,
    at({ breaker: "open" }),
    policy(),
    { step: { do: "retry", delayMs: 0 }, charge: "setback" },
  ],
  [
    "a platform failure while half-open: invoke again uncharged, no backoff",
    systemic,
    at({ breaker: "half_open" }),
    policy(),
    { step: { do: "retry", delayMs: 0 }, charge: "setback" },
  ],
  [
    "not delivered (an earlier message of its key failed in the batch): again at once, uncharged",
    { kind: "not_delivered" },
    at(),
    policy(),
    { step: { do: "retry", delayMs: 0 } },
  ],
  [
    "a batch refused as too large: split (half the batch), uncharged",
    { kind: "split", batchSize: 10 },
    at({ maxBatch: 10 }),
    policy(),
    { step: { do: "retry", delayMs: 0 }, maxBatch: 5 },
  ],
  [
    "splitting never goes below one",
    { kind: "split", batchSize: 1 },
    at({ maxBatch: 1 }),
    policy(),
    { step: { do: "retry", delayMs: 0 }, maxBatch: 1 },
  ],
  // The end of a failing message.
  [
    "attempts used up: dead-letter (the default policy)",
    ambiguous,
    at({ attempts: 2 }),
    policy(),
    { step: { do: "dead_letter" }, charge: "attempt", ended: "failed" },
  ],
  [
    "the message's own failure: no retry, dead-letter",
    own,
    at(),
    policy(),
    { step: { do: "dead_letter" }, charge: "attempt", ended: "failed" },
  ],
  [
    "attempts used up with retry delays left: the next retry queue",
    ambiguous,
    at({ attempts: 2 }),
    policy({ retrySteps: steps }),
    {
      step: { do: "retry_queue", step: steps[0] as (typeof steps)[0], round: 1 },
      charge: "attempt",
      ended: "failed",
    },
  ],
  [
    "the second round goes to the second retry queue",
    ambiguous,
    at({ attempts: 2, retryRound: 1 }),
    policy({ retrySteps: steps }),
    {
      step: { do: "retry_queue", step: steps[1] as (typeof steps)[0], round: 2 },
      charge: "attempt",
      ended: "failed",
    },
  ],
  [
    "retry delays used up: the failure policy",
    ambiguous,
    at({ attempts: 2, retryRound: 2 }),
    policy({ retrySteps: steps }),
    { step: { do: "dead_letter" }, charge: "attempt", ended: "failed" },
  ],
  [
    "the message's own failure skips the retry queues",
    own,
    at(),
    policy({ retrySteps: steps }),
    { step: { do: "dead_letter" }, charge: "attempt", ended: "failed" },
  ],
  [
    "failure_policy requeue: requeue after a pause",
    ambiguous,
    at({ attempts: 2 }),
    policy({ failurePolicy: "requeue" }),
    { step: { do: "requeue", delayMs: 700 }, charge: "attempt", ended: "failed" },
  ],
  [
    "failure_policy reject: reject without requeue",
    ambiguous,
    at({ attempts: 2 }),
    policy({ failurePolicy: "reject" }),
    { step: { do: "reject" }, charge: "attempt", ended: "failed" },
  ],
  [
    "auto_ack still dead-letters a failed message",
    ambiguous,
    at({ attempts: 2 }),
    policy({ autoAck: true }),
    { step: { do: "dead_letter" }, charge: "attempt", ended: "failed" },
  ],
  [
    "auto_ack with requeue: nowhere to put it, lost (and counted)",
    ambiguous,
    at({ attempts: 2 }),
    policy({ autoAck: true, failurePolicy: "requeue" }),
    { step: { do: "lost" }, charge: "attempt", ended: "failed" },
  ],
  [
    "auto_ack with reject: lost",
    own,
    at(),
    policy({ autoAck: true, failurePolicy: "reject" }),
    { step: { do: "lost" }, charge: "attempt", ended: "failed" },
  ],
  // Side exit: the channel closed.
  [
    "its channel closed: left to the broker, which redelivers it",
    { kind: "succeeded" },
    at({ channelAlive: false }),
    policy(),
    { step: { do: "leave_to_broker" }, ended: "succeeded" },
  ],
  [
    "a retry whose channel closed: left to the broker",
    ambiguous,
    at({ channelAlive: false }),
    policy(),
    { step: { do: "leave_to_broker" }, charge: "attempt" },
  ],
  [
    "a waiting message whose channel closed: left to the broker",
    { kind: "channel_lost" },
    at({ channelAlive: false }),
    policy(),
    { step: { do: "leave_to_broker" } },
  ],
  [
    "auto_ack, channel closed: the agent keeps and finishes it",
    { kind: "channel_lost" },
    at({ channelAlive: false }),
    policy({ autoAck: true }),
    { step: { do: "keep" } },
  ],
  [
    "auto_ack, channel closed, failed: still dead-lettered (on a live channel)",
    own,
    at({ channelAlive: false }),
    policy({ autoAck: true }),
    { step: { do: "dead_letter" }, charge: "attempt", ended: "failed" },
  ],
  // Side exit: draining.
  [
    "draining: a retry goes back to the broker instead",
    ambiguous,
    at({ draining: true }),
    policy(),
    { step: { do: "give_back", delayMs: 0 }, charge: "attempt" },
  ],
  [
    "draining: a waiting message is handed back",
    { kind: "give_back_requested" },
    at({ draining: true }),
    policy(),
    { step: { do: "give_back", delayMs: 0 } },
  ],
  [
    "draining with auto_ack: the agent finishes what it holds",
    { kind: "give_back_requested" },
    at({ draining: true }),
    policy({ autoAck: true }),
    { step: { do: "keep" } },
  ],
  [
    "draining with auto_ack: a retry stays in the agent",
    ambiguous,
    at({ draining: true }),
    policy({ autoAck: true }),
    { step: { do: "retry", delayMs: 100 }, charge: "attempt" },
  ],
  [
    "arrived while stopping: handed back, never invoked",
    { kind: "arrived_while_stopping", closed: false },
    at({ draining: true }),
    policy(),
    { step: { do: "give_back", delayMs: 0 } },
  ],
  [
    "arrived with auto_ack while draining: kept and finished",
    { kind: "arrived_while_stopping", closed: false },
    at({ draining: true }),
    policy({ autoAck: true }),
    { step: { do: "keep" } },
  ],
  [
    "arrived with auto_ack after the agent closed: lost",
    { kind: "arrived_while_stopping", closed: true },
    at(),
    policy({ autoAck: true }),
    { step: { do: "lost" } },
  ],
  // Side exit: a long circuit-breaker opening.
  [
    "the breaker open near consumer_timeout: waiting messages handed back",
    { kind: "give_back_requested" },
    at({ breaker: "open" }),
    policy(),
    { step: { do: "give_back", delayMs: 0 } },
  ],
  // Side exit: a failed probe while the breaker is open on function errors (a poison burst).
  [
    "a probe's function error, open on function errors: charged and set aside behind the queue's tail",
    ambiguous,
    probing(),
    policy(),
    { step: { do: "set_aside" }, charge: "attempt" },
  ],
  [
    "the same in an ordering lane: charged, it keeps its lane's head (invoke again, no backoff)",
    ambiguous,
    probing({ ordered: true }),
    policy(),
    { step: { do: "retry", delayMs: 0 }, charge: "attempt" },
  ],
  [
    "the same with its attempts used up: the failure policy",
    ambiguous,
    probing({ attempts: 2 }),
    policy(),
    { step: { do: "dead_letter" }, charge: "attempt", ended: "failed" },
  ],
  [
    "the same with retry delays left: the next retry queue",
    ambiguous,
    probing({ attempts: 2, ordered: true }),
    policy({ retrySteps: steps }),
    {
      step: { do: "retry_queue", step: steps[0] as (typeof steps)[0], round: 1 },
      charge: "attempt",
      ended: "failed",
    },
  ],
  [
    "the same while draining: charged and handed back",
    ambiguous,
    probing({ draining: true }),
    policy(),
    { step: { do: "give_back", delayMs: 0 }, charge: "attempt" },
  ],
  [
    "the same while draining with auto_ack: set aside (the broker forgot it)",
    ambiguous,
    probing({ draining: true }),
    policy({ autoAck: true }),
    { step: { do: "set_aside" }, charge: "attempt" },
  ],
  [
    "a probe's function error, open on platform failures: the platform's, uncharged",
    ambiguous,
    probing({ openedBy: "platform_failures" }),
    policy(),
    { step: { do: "retry", delayMs: 0 }, charge: "setback" },
  ],
  [
    "a probe's platform failure, open on function errors: uncharged",
    systemic,
    probing(),
    policy(),
    { step: { do: "retry", delayMs: 0 }, charge: "setback" },
  ],
  [
    "a function error of a call that was not the probe, open on function errors: uncharged",
    ambiguous,
    probing({ probe: false, breaker: "open" }),
    policy(),
    { step: { do: "retry", delayMs: 0 }, charge: "setback" },
  ],
  // Side exit: the drain timed out.
  [
    "drain timeout: left to the broker",
    { kind: "drain_timeout" },
    at({ draining: true }),
    policy(),
    { step: { do: "leave_to_broker" } },
  ],
  [
    "drain timeout with auto_ack: lost",
    { kind: "drain_timeout" },
    at({ draining: true }),
    policy({ autoAck: true }),
    { step: { do: "lost" } },
  ],
  // Side exit: a copy that fails.
  [
    "a copy the broker nacked (or timed out): handed back at once",
    { kind: "copy_failed", cause: "error" },
    at(),
    policy(),
    { step: { do: "give_back", delayMs: 0 } },
  ],
  [
    "a copy nothing routes: handed back after requeue_delay",
    { kind: "copy_failed", cause: "unroutable" },
    at(),
    policy(),
    { step: { do: "give_back", delayMs: 700 } },
  ],
  [
    "a copy with no channel to publish on: left to the broker",
    { kind: "copy_failed", cause: "channel_closed" },
    at({ channelAlive: false }),
    policy(),
    { step: { do: "leave_to_broker" } },
  ],
  [
    "a copy that fails with auto_ack: lost",
    { kind: "copy_failed", cause: "error" },
    at(),
    policy({ autoAck: true }),
    { step: { do: "lost" } },
  ],
  // A call that threw (backends never throw; still, nothing may stay unsettled).
  [
    "a crashed call: handed back",
    { kind: "crashed" },
    at(),
    policy(),
    { step: { do: "give_back", delayMs: 0 } },
  ],
  [
    "a crashed call with auto_ack: lost",
    { kind: "crashed" },
    at(),
    policy({ autoAck: true }),
    { step: { do: "lost" } },
  ],
  // Replies (`reply`): published before the ack, retried without invoking again.
  [
    "success with a reply due: publish the reply first",
    { kind: "succeeded" },
    at({ replyDue: true }),
    policy({ replyMode: "exchange" }),
    { step: { do: "reply", delayMs: 0 }, ended: "succeeded" },
  ],
  [
    "success with a reply due, auto_ack: the reply still goes",
    { kind: "succeeded" },
    at({ replyDue: true }),
    policy({ autoAck: true, replyMode: "reply_to" }),
    { step: { do: "reply", delayMs: 0 }, ended: "succeeded" },
  ],
  [
    "success with a reply due on a closed channel: the broker redelivers it",
    { kind: "succeeded" },
    at({ replyDue: true, channelAlive: false }),
    policy({ replyMode: "exchange" }),
    { step: { do: "leave_to_broker" }, ended: "succeeded" },
  ],
  ["a confirmed reply: ack", { kind: "replied" }, at({ replyDue: true }), policy(), { step: { do: "ack" } }],
  [
    "a confirmed reply with auto_ack: nothing to tell the broker",
    { kind: "replied" },
    at({ replyDue: true }),
    policy({ autoAck: true }),
    { step: { do: "nothing" } },
  ],
  [
    "a reply that failed: published again after a backoff (never invoked again)",
    { kind: "reply_failed", cause: "error" },
    at({ replyDue: true, replyFailures: 2 }),
    policy({ replyMode: "exchange" }),
    { step: { do: "reply", delayMs: 300 } },
  ],
  [
    "the first reply failure: the first backoff",
    { kind: "reply_failed", cause: "error" },
    at({ replyDue: true }),
    policy({ replyMode: "reply_to" }),
    { step: { do: "reply", delayMs: 100 } },
  ],
  [
    "a reply failed while draining: tried again (the drain timeout bounds it)",
    { kind: "reply_failed", cause: "error" },
    at({ replyDue: true, draining: true }),
    policy({ replyMode: "exchange" }),
    { step: { do: "reply", delayMs: 100 } },
  ],
  [
    "exchange mode, the reply returned (no binding): published again",
    { kind: "reply_failed", cause: "unroutable" },
    at({ replyDue: true }),
    policy({ replyMode: "exchange" }),
    { step: { do: "reply", delayMs: 100 } },
  ],
  [
    "reply_to mode, the reply returned: the requester went away, dropped and acked",
    { kind: "reply_failed", cause: "unroutable" },
    at({ replyDue: true }),
    policy({ replyMode: "reply_to" }),
    { step: { do: "ack" } },
  ],
  [
    "reply_to mode with auto_ack, the reply returned: dropped",
    { kind: "reply_failed", cause: "unroutable" },
    at({ replyDue: true }),
    policy({ autoAck: true, replyMode: "reply_to" }),
    { step: { do: "nothing" } },
  ],
  [
    "a reply failed and the channel closed: the broker redelivers it (at-least-once)",
    { kind: "reply_failed", cause: "error" },
    at({ replyDue: true, channelAlive: false }),
    policy({ replyMode: "exchange" }),
    { step: { do: "leave_to_broker" } },
  ],
  [
    "a reply failed and the channel closed, auto_ack: tried again (the broker forgot the message)",
    { kind: "reply_failed", cause: "error" },
    at({ replyDue: true, channelAlive: false }),
    policy({ autoAck: true, replyMode: "exchange" }),
    { step: { do: "reply", delayMs: 100 } },
  ],
  [
    "a confirmed reply on a closed channel: the broker redelivers it",
    { kind: "replied" },
    at({ replyDue: true, channelAlive: false }),
    policy(),
    { step: { do: "leave_to_broker" } },
  ],
];

describe("decide: the one decision, every exit a row", () => {
  for (const [name, happening, situation, settings, expected] of table) {
    it(name, () => assert.deepEqual(decide(happening, situation, settings), expected));
  }

  it("the table names every step there is", () => {
    const seen = new Set(table.map((row) => row[4].step.do));
    const all = [
      "retry",
      "keep",
      "ack",
      "reply",
      "nothing",
      "retry_queue",
      "set_aside",
      "dead_letter",
      "requeue",
      "reject",
      "give_back",
      "lost",
      "leave_to_broker",
    ];
    assert.deepEqual([...seen].sort(), all.sort());
  });

  it("a message is charged only for its own failures, never for the platform's", () => {
    for (let setbacks = 0; setbacks < 50; setbacks++) {
      const decision = decide(systemic, at({ setbacks, attempts: 2 }), policy());
      assert.equal(decision.step.do, "retry", "a platform failure never ends a message");
      assert.equal(decision.charge, "setback");
    }
  });
});
