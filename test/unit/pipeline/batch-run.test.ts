import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MessageOutcome, OutgoingMessage } from "../../../src/backends/backend.js";
import type { HeldMessage } from "../../../src/held/held-message.js";
import { LogThrottle } from "../../../src/observability/log-throttle.js";
import { runBatch } from "../../../src/pipeline/batch-run.js";
import type { RateLimiter } from "../../../src/policy/rate-limiter.js";
import { TRACING_OFF } from "../../../src/tracing/index.js";
import {
  callReport,
  FakeBackend,
  FakeSession,
  failure,
  type HeldOptions,
  heldMessage,
  LEVEL,
  recordingLog,
  succeededOutcome,
  testMetrics,
} from "./fakes.js";

const failed: MessageOutcome = { kind: "failed", failure: failure("item_failure"), scope: "ambiguous" };

function harness(finishesDeadChannels = false) {
  const backend = new FakeBackend();
  const acquired: number[] = [];
  const limiter = {
    acquire: async (count: number) => {
      acquired.push(count);
    },
  } as unknown as RateLimiter;
  const { metrics, read } = testMetrics();
  const { log, lines } = recordingLog();
  const session = new FakeSession();
  const options = {
    backend,
    limiter,
    metrics,
    log,
    throttle: new LogThrottle(),
    finishesDeadChannels,
    tracing: TRACING_OFF,
    destination: "orders",
  };
  return {
    backend,
    acquired,
    read,
    lines,
    session,
    held: (...each: HeldOptions[]) => each.map((one) => heldMessage({ session, ...one })),
    run: (batch: readonly HeldMessage[]) => runBatch(batch, options),
    /** Scripts the backend: one outcome per message, by position in what was sent. */
    answer(outcomes: Array<MessageOutcome | undefined>, call = callReport()) {
      backend.answer = (sent: readonly OutgoingMessage[]) => ({
        results: new Map(
          sent.flatMap((out, i) => {
            const outcome = outcomes[i];
            return outcome ? [[out.id, outcome] as const] : [];
          }),
        ),
        call,
      });
    },
  };
}

describe("runBatch", () => {
  it("sends the batch after the rate limit, without extras when tracing is off, and reports each message", async () => {
    const h = harness();
    const batch = h.held({}, {});
    const report = await h.run(batch);
    assert.deepEqual(h.backend.sent, [batch]);
    assert.deepEqual(h.backend.extras, [undefined]);
    assert.deepEqual(h.acquired, [2]);
    assert.deepEqual([...report.happenings.values()], [succeededOutcome, succeededOutcome]);
    assert.equal(report.call?.outcome, "ok");
    assert.equal(await h.read("invocations_total", { outcome: "ok" }), 1);
    assert.equal(await h.read("invocation_duration_seconds_count"), 1);
  });

  it("messages of a closed channel are not sent: the broker redelivers them", async () => {
    const h = harness();
    const dead = new FakeSession("dead");
    dead.alive = false;
    const [live, gone] = [...h.held({}), heldMessage({ session: dead })] as [HeldMessage, HeldMessage];
    const report = await h.run([live, gone]);
    assert.deepEqual(h.backend.sent, [[live]]);
    assert.deepEqual(h.acquired, [1]);
    assert.deepEqual(report.happenings.get(gone), { kind: "channel_lost" });
  });

  it("a batch whose channel closed makes no call at all", async () => {
    const h = harness();
    h.session.alive = false;
    const report = await h.run(h.held({}, {}));
    assert.equal(h.backend.sent.length, 0);
    assert.equal(h.acquired.length, 0);
    assert.equal(report.call, undefined);
    assert.deepEqual(
      [...report.happenings.values()].map((x) => x.kind),
      ["channel_lost", "channel_lost"],
    );
  });

  it("with auto_ack the messages of a closed channel are still sent (the agent must finish them)", async () => {
    const h = harness(true);
    h.session.alive = false;
    await h.run(h.held({}));
    assert.equal(h.backend.sent.length, 1);
  });

  it("a message the backend gave no outcome crashed; a split carries the batch size", async () => {
    const h = harness();
    h.answer([undefined, { kind: "split" }], callReport("too_large", "message"));
    const batch = h.held({}, {});
    const report = await h.run(batch);
    assert.deepEqual(report.happenings.get(batch[0] as HeldMessage), { kind: "crashed" });
    assert.deepEqual(report.happenings.get(batch[1] as HeldMessage), { kind: "split", batchSize: 2 });
    assert.equal(await h.read("invocations_total", { outcome: "too_large" }), 1);
    assert.equal(h.lines.length, 0, "a batch too large is not a failure worth a warning");
  });

  it("within a lane, after a failure the later messages did not count; other lanes are untouched", async () => {
    const h = harness();
    h.answer([succeededOutcome, failed, succeededOutcome, succeededOutcome, failed, succeededOutcome]);
    const batch = h.held(
      { lane: "k" },
      { lane: "k" },
      { lane: "j" },
      { lane: "k" },
      { lane: undefined },
      { lane: undefined },
    );
    const report = await h.run(batch);
    assert.deepEqual(
      batch.map((held) => report.happenings.get(held)?.kind),
      ["succeeded", "failed", "succeeded", "not_delivered", "failed", "succeeded"],
    );
  });

  it("a failed call is logged once with the backend's label and the error", async () => {
    const h = harness();
    h.answer([], callReport("throttled", "systemic"));
    await h.run(h.held({}));
    await h.run(h.held({}));
    const warnings = h.lines.filter((line) => line.level === LEVEL.warn);
    assert.equal(warnings.length, 1, "the second is suppressed by the throttle");
    assert.match(warnings[0]?.msg ?? "", /invocation of fake-fn failed: throttled/);
    assert.equal(await h.read("invocations_total", { outcome: "throttled" }), 2);
  });

  it("an unreadable partial-batch response is logged as an error", async () => {
    const h = harness();
    const invalid: MessageOutcome = {
      kind: "failed",
      failure: failure("invalid_response", "InvalidResponse", "batchItemFailures is not a list"),
      scope: "ambiguous",
    };
    h.answer([invalid]);
    await h.run(h.held({}));
    const error = h.lines.find((line) => line.level === LEVEL.error);
    assert.match(error?.msg ?? "", /whole batch failed: batchItemFailures is not a list/);
  });
});
