import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReplyPublish } from "../../../src/copies/reply-message.js";
import { LogThrottle } from "../../../src/observability/log-throttle.js";
import { CircuitBreaker } from "../../../src/policy/circuit-breaker.js";
import type { Decision, decide } from "../../../src/policy/decide.js";
import { ReplySender } from "../../../src/settle/reply-sender.js";
import { agentConfig, BREAKER_CONFIG, failure, silentLog, testMetrics, turn } from "./fakes.js";
import { settlerHarness } from "./settler-harness.js";

const deadLetter: Decision = { step: { do: "dead_letter" }, charge: "attempt", ended: "failed" };

/** A settler whose replies go to `answer`; the agent's `reply` as given. */
function harness(reply: Record<string, unknown>, answer: () => Promise<"confirmed" | "unroutable">) {
  const config = agentConfig({ amqp: { reply } });
  const { metrics, read } = testMetrics();
  const published: ReplyPublish[] = [];
  const sender = new ReplySender({
    publish: (r) => {
      published.push(r);
      return answer();
    },
    reply: config.amqp.reply,
    breaker: new CircuitBreaker(BREAKER_CONFIG),
    metrics,
    log: silentLog,
    throttle: new LogThrottle(),
    decide: () => ({ step: { do: "ack" } }) satisfies ReturnType<typeof decide>,
  });
  const h = settlerHarness(config, sender);
  const held = h.held({ deliveryTag: 4 });
  Object.assign(held.message.properties, { replyTo: "caller", correlationId: "c-4" });
  return { ...h, held, published, readReplies: read };
}

describe("on_failure: an error reply when a message is dead-lettered", () => {
  it("error_reply: published once after the dead letter; the message is acked", async () => {
    const h = harness({ mode: "reply_to", on_failure: "error_reply" }, async () => "confirmed");
    await h.settler.settle(h.held, deadLetter, failure("function_error", "Boom", "it broke"));
    await turn();
    assert.equal(h.publisher.published.length, 1, "the dead letter");
    assert.equal(h.published.length, 1, "the error reply");
    assert.equal(h.published[0]?.routingKey, "caller");
    assert.equal(h.published[0]?.options.correlationId, "c-4");
    assert.deepEqual(JSON.parse(String(h.published[0]?.content)).error.type, "Boom");
    assert.deepEqual(h.own.calls, [["ack", 4]]);
    assert.equal(await h.readReplies("replies_published_total"), 1);
  });

  it("best effort: a failed or returned error reply is counted and the message still acked", async () => {
    for (const [answer, reason] of [
      [async () => "unroutable" as const, "unroutable"],
      [async () => Promise.reject(Object.assign(new Error("gone"), { code: 404 })), "exchange_not_found"],
      [async () => Promise.reject(new Error("no connection")), "error"],
      [async () => Promise.reject(Object.assign(new Error("refused"), { code: 403 })), "refused"],
    ] as const) {
      const h = harness({ mode: "reply_to", on_failure: "error_reply" }, answer);
      await h.settler.settle(h.held, deadLetter, failure("function_error"));
      await turn();
      assert.equal(h.published.length, 1, "tried once");
      assert.deepEqual(h.own.calls, [["ack", 4]]);
      assert.equal(await h.readReplies("reply_failures_total", { reason }), 1, reason);
    }
  });

  it("none (the default): no error reply", async () => {
    const h = harness({ mode: "reply_to" }, async () => "confirmed");
    await h.settler.settle(h.held, deadLetter, failure("function_error"));
    await turn();
    assert.equal(h.published.length, 0);
  });
});
