import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideSettlement, shouldRetry } from "../../../src/agent/settlement.js";
import type { AgentConfig, FailurePolicy } from "../../../src/config/types.js";
import type { InvokeFailure } from "../../../src/lambda/invoke-outcome.js";

const failure: InvokeFailure = {
  kind: "function_error",
  retryable: true,
  errorType: "Error",
  message: "boom",
  durationMs: 1,
};
const amqp = (failurePolicy: FailurePolicy, autoAck = false) =>
  ({ failurePolicy, autoAck, requeueDelayMs: 700 }) as AgentConfig["amqp"];

describe("decideSettlement", () => {
  const table: Array<[string, InvokeFailure | undefined, AgentConfig["amqp"], string]> = [
    ["success acks", undefined, amqp("dead_letter"), "ack"],
    ["success with auto_ack does nothing", undefined, amqp("dead_letter", true), "none"],
    ["failure dead-letters by default", failure, amqp("dead_letter"), "dead_letter"],
    ["failure with auto_ack still dead-letters", failure, amqp("dead_letter", true), "dead_letter"],
    ["requeue policy requeues after a pause", failure, amqp("requeue"), "requeue"],
    ["reject policy nacks without requeue", failure, amqp("reject"), "reject"],
    ["auto_ack with requeue has nothing to requeue", failure, amqp("requeue", true), "none"],
    ["auto_ack with reject has nothing to reject", failure, amqp("reject", true), "none"],
  ];
  for (const [what, outcome, config, action] of table)
    it(what, () => assert.equal(decideSettlement(outcome, config).action, action));
  it("carries the requeue delay", () =>
    assert.deepEqual(decideSettlement(failure, amqp("requeue")), { action: "requeue", delayMs: 700 }));
});

describe("shouldRetry", () => {
  it("retries a retryable failure up to max_retries times", () => {
    assert.deepEqual(
      [1, 2, 3].map((attempts) => shouldRetry(failure, attempts, 2)),
      [true, true, false],
    );
  });
  it("never retries a permanent failure", () =>
    assert.equal(shouldRetry({ ...failure, retryable: false }, 1, 5), false));
  it("max_retries 0 means a single attempt", () => assert.equal(shouldRetry(failure, 1, 0), false));
});
