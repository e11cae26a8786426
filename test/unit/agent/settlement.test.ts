import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Failure } from "../../../src/agent/failure.js";
import {
  canGiveBack,
  decideSettlement,
  type Finish,
  finishAfterChannelLoss,
} from "../../../src/agent/settlement.js";
import type { AgentConfig, FailurePolicy } from "../../../src/config/types.js";

const failure: Failure = { kind: "function_error", errorType: "Error", message: "boom", durationMs: 1 };
const failed: Finish = { outcome: "failed", failure, permanent: false };
const permanent: Finish = { outcome: "failed", failure, permanent: true };
const steps = [
  { delayMs: 2000, queue: "q.retry.2s", routingKey: "retry.2s" },
  { delayMs: 4000, queue: "q.retry.4s", routingKey: "retry.4s" },
];
const amqp = (failurePolicy: FailurePolicy, autoAck = false, retrySteps: typeof steps = []) =>
  ({ failurePolicy, autoAck, requeueDelayMs: 700, retrySteps }) as unknown as AgentConfig["amqp"];

describe("decideSettlement: the one decision", () => {
  const table: Array<[string, Finish, AgentConfig["amqp"], number, string]> = [
    ["success acks", { outcome: "succeeded" }, amqp("dead_letter"), 0, "ack"],
    ["success with auto_ack does nothing", { outcome: "succeeded" }, amqp("dead_letter", true), 0, "none"],
    ["a filtered message is acked", { outcome: "filtered" }, amqp("requeue"), 0, "ack"],
    ["failure dead-letters by default", failed, amqp("dead_letter"), 0, "dead_letter"],
    ["failure with auto_ack still dead-letters", failed, amqp("dead_letter", true), 0, "dead_letter"],
    ["requeue policy requeues after a pause", failed, amqp("requeue"), 0, "requeue"],
    ["reject policy rejects without requeue", failed, amqp("reject"), 0, "reject"],
    ["auto_ack with requeue: the message is lost (and counted)", failed, amqp("requeue", true), 0, "lost"],
    ["auto_ack with reject: lost", failed, amqp("reject", true), 0, "lost"],
    ["retry delays left: the next retry queue", failed, amqp("dead_letter", false, steps), 0, "retry_later"],
    ["retry delays used up: the failure policy", failed, amqp("dead_letter", false, steps), 2, "dead_letter"],
    [
      "a permanent failure skips the retry queues",
      permanent,
      amqp("dead_letter", false, steps),
      0,
      "dead_letter",
    ],
    ["retry delays with auto_ack republish too", failed, amqp("dead_letter", true, steps), 1, "retry_later"],
    ["give back: nack with requeue", { outcome: "give_back" }, amqp("dead_letter"), 0, "give_back"],
    ["auto_ack cannot give back", { outcome: "give_back" }, amqp("dead_letter", true), 0, "lost"],
  ];
  for (const [what, finish, config, round, action] of table)
    it(what, () => assert.equal(decideSettlement(finish, config, round).action, action));

  it("carries the requeue delay and the retry step with the next round", () => {
    assert.deepEqual(decideSettlement(failed, amqp("requeue"), 0), { action: "requeue", delayMs: 700 });
    assert.deepEqual(decideSettlement(failed, amqp("reject", false, steps), 1), {
      action: "retry_later",
      step: steps[1],
      round: 2,
    });
  });
});

describe("auto_ack answers asked of settlement", () => {
  it("messages of a closed channel are the agent's to finish only with auto_ack", () => {
    assert.equal(finishAfterChannelLoss(amqp("dead_letter", true)), true);
    assert.equal(finishAfterChannelLoss(amqp("dead_letter")), false);
  });
  it("only manual acks can give a message back", () => {
    assert.equal(canGiveBack(amqp("dead_letter")), true);
    assert.equal(canGiveBack(amqp("dead_letter", true)), false);
  });
});
