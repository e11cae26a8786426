/**
 * A real Settler over fake sessions and a fake publishing connection, with the real metrics of one
 * agent, a log that can be read back, and the real `decide` for what happens while settling (a copy
 * that could not be published).
 */
import type { AgentConfig } from "../../../src/config/types.js";
import type { HeldMessage } from "../../../src/held/held-message.js";
import { LogThrottle } from "../../../src/observability/log-throttle.js";
import { type Decision, decide, type Happening, policyOf } from "../../../src/policy/decide.js";
import type { ReplySender } from "../../../src/settle/reply-sender.js";
import { Settler } from "../../../src/settle/settler.js";
import {
  agentConfig,
  FakePublisher,
  FakeSession,
  type HeldOptions,
  heldMessage,
  recordingLog,
  testMetrics,
} from "./fakes.js";

export function settlerHarness(config: AgentConfig = agentConfig(), replies?: ReplySender) {
  const own = new FakeSession("own");
  const publisher = new FakePublisher();
  const { metrics, read } = testMetrics();
  const { log, lines } = recordingLog();
  /** What the settler asked `decide` about, and what it was told. */
  const asked: Array<{ happening: Happening; decision: Decision }> = [];
  const policy = policyOf(config.amqp, 2, () => 0);
  const settler = new Settler({
    config,
    backendLabel: "fake-fn",
    metrics,
    log,
    throttle: new LogThrottle(),
    publish: publisher.publish,
    replies,
    decide: (held: HeldMessage, happening: Happening) => {
      const decision = decide(
        happening,
        {
          attempts: held.attempts,
          setbacks: held.setbacks,
          retryRound: held.retry.round,
          maxBatch: held.maxBatch,
          breaker: "closed",
          openedBy: undefined,
          probe: false,
          ordered: held.lane !== undefined,
          draining: false,
          channelAlive: held.session.alive,
        },
        policy,
      );
      asked.push({ happening, decision });
      return decision;
    },
  });
  return {
    settler,
    config,
    own,
    publisher,
    read,
    lines,
    asked,
    held: (options: HeldOptions = {}) => heldMessage({ session: own, ...options }),
  };
}
