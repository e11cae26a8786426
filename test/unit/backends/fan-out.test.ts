import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type {
  FailureKind,
  FailureScope,
  MessageOutcome,
  OutgoingMessage,
} from "../../../src/backends/backend.js";
import { createFanOut } from "../../../src/backends/fan-out.js";
import { callReport, FakeBackend, failure, heldMessage } from "../pipeline/fakes.js";

/** Backends a, b (and c), answering success unless told otherwise. */
function members(count = 2) {
  return ["a", "b", "c"].slice(0, count).map((name) => new FakeBackend(name));
}

const succeededWith = (body: string): MessageOutcome => ({
  kind: "succeeded",
  response: { body: Buffer.from(body), contentType: "text/plain" },
});

/** The member answers this outcome for every message, with a call of that kind and scope. */
function answers(backend: FakeBackend, outcome: MessageOutcome, startedAt = 0) {
  const kind: "ok" | FailureKind = outcome.kind === "failed" ? outcome.failure.kind : "ok";
  const scope: FailureScope | undefined = outcome.kind === "failed" ? outcome.scope : undefined;
  backend.answer = (batch) => ({
    results: new Map(batch.map((out) => [out.id, outcome])),
    call: callReport(kind, scope, { startedAt }),
  });
}

const failedAs = (kind: FailureKind, scope: FailureScope, message = `${kind}!`): MessageOutcome => ({
  kind: "failed",
  failure: failure(kind, kind, message),
  scope,
});

describe("createFanOut: several backends as one", () => {
  it("one label; one message per call; the largest max_retries and size, the smallest byte limit", () => {
    const [a, b] = members() as [FakeBackend, FakeBackend];
    a.maxRetries = 1;
    b.maxRetries = 4;
    a.maxBatchBytes = 100;
    b.maxBatchBytes = 50;
    b.sizeOf = (out: OutgoingMessage) => 10 * out.message.content.byteLength;
    const fan = createFanOut([a, b], { sequential: false });
    assert.deepEqual(
      [fan.label, fan.batchSize, fan.batchWindowMs, fan.maxRetries, fan.maxBatchBytes],
      ["a + b", 1, 0, 4, 50],
    );
    assert.equal(fan.sizeOf(heldMessage({ content: "abc" })), 30);
  });

  it("in parallel: every backend gets the message and the send's trace as it is; it succeeds when all do", async () => {
    const [a, b] = members() as [FakeBackend, FakeBackend];
    answers(a, succeededWith("from a"), 20);
    answers(b, succeededWith("from b"), 10);
    const m = heldMessage();
    const extras = { trace: { startCall: () => ({ headers: undefined, end() {} }) } };
    const report = await createFanOut([a, b], { sequential: false }).send([m], extras);
    assert.deepEqual([a.sent, b.sent], [[[m]], [[m]]]);
    assert.equal(a.extras[0], extras, "each member starts its own call of the trace");
    assert.equal(b.extras[0], extras);
    assert.deepEqual(report.results.get(m.id), succeededWith("from a"), "the first backend's response");
    assert.equal(report.call?.outcome, "ok");
    assert.equal(report.call?.startedAt, 10, "the calls as one: from the earliest start");
    assert.deepEqual([...m.backendsDone].sort(), [0, 1]);
  });

  it("a retry calls only the backends not yet done; a backend whose filter leaves it out is not called", async () => {
    const [a, b, c] = members(3) as [FakeBackend, FakeBackend, FakeBackend];
    const m = heldMessage();
    m.backendsDone.add(0);
    m.backendsWanted = new Set([0, 1]);
    const report = await createFanOut([a, b, c], { sequential: false }).send([m]);
    assert.deepEqual(
      [a, b, c].map((backend) => backend.sent.length),
      [0, 1, 0],
    );
    assert.equal(report.results.get(m.id)?.kind, "succeeded");
    assert.deepEqual([...m.backendsDone].sort(), [0, 1]);
  });

  it("nothing left to call (all done, or wanted by none): succeeded, without a call", async () => {
    const [a, b] = members() as [FakeBackend, FakeBackend];
    const m = heldMessage();
    m.backendsWanted = new Set();
    const report = await createFanOut([a, b], { sequential: true }).send([m]);
    assert.deepEqual(report.results.get(m.id), {
      kind: "succeeded",
      response: { body: undefined, contentType: undefined, withoutReply: true },
    });
    assert.equal(report.call, undefined);
    assert.deepEqual([a.sent, b.sent], [[], []]);
  });

  it("one backend failing fails the message, naming the backends; the platform's failure speaks first", async () => {
    const [a, b, c] = members(3) as [FakeBackend, FakeBackend, FakeBackend];
    answers(a, failedAs("bad_request", "message"));
    answers(b, failedAs("server_error", "systemic", "503 from b"));
    answers(c, failedAs("function_error", "ambiguous"));
    const m = heldMessage();
    const report = await createFanOut([a, b, c], { sequential: false }).send([m]);
    const outcome = report.results.get(m.id);
    assert.equal(outcome?.kind, "failed");
    if (outcome?.kind !== "failed") return;
    assert.equal(outcome.scope, "systemic");
    assert.equal(outcome.failure.kind, "server_error");
    assert.equal(outcome.failure.message, "backend b, c, a failed: 503 from b");
    assert.deepEqual([report.call?.outcome, report.call?.scope], ["server_error", "systemic"]);
    assert.deepEqual([...m.backendsDone], []);
  });

  it("a success beside a failure is kept: the retry calls only the one that failed", async () => {
    const [a, b] = members() as [FakeBackend, FakeBackend];
    answers(a, succeededWith("a's answer"));
    answers(b, failedAs("timeout", "ambiguous"));
    const m = heldMessage();
    const fan = createFanOut([a, b], { sequential: false });
    assert.equal((await fan.send([m])).results.get(m.id)?.kind, "failed");
    answers(b, succeededWith("b at last"));
    // The reply is backend 0's answer (reply.backend), kept from the first call.
    assert.deepEqual((await fan.send([m])).results.get(m.id), succeededWith("a's answer"));
    assert.deepEqual([a.sent.length, b.sent.length], [1, 2]);
  });

  it("reply.backend names whose answer is the reply", async () => {
    const [a, b] = members() as [FakeBackend, FakeBackend];
    answers(a, succeededWith("from a"));
    answers(b, succeededWith("from b"));
    const m = heldMessage();
    const report = await createFanOut([a, b], { sequential: false, replyBackend: 1 }).send([m]);
    assert.deepEqual(report.results.get(m.id), succeededWith("from b"));
  });

  it("sequential: in order, each after the previous succeeded; the first failure stops the rest", async () => {
    const [a, b] = members() as [FakeBackend, FakeBackend];
    const order: string[] = [];
    for (const backend of [a, b]) {
      const answer = backend.answer;
      backend.answer = async (batch) => {
        order.push(`${backend.label} starts`);
        await new Promise<void>((resolve) => setImmediate(resolve));
        order.push(`${backend.label} ends`);
        return answer(batch);
      };
    }
    await createFanOut([a, b], { sequential: true }).send([heldMessage()]);
    assert.deepEqual(order, ["a starts", "a ends", "b starts", "b ends"]);
    answers(a, failedAs("not_found", "systemic"));
    const m = heldMessage();
    const report = await createFanOut([a, b], { sequential: true }).send([m]);
    assert.equal(report.results.get(m.id)?.kind, "failed");
    assert.equal(b.sent.length, 1, "b was not called after a failed");
  });

  it("a batch of several messages is sent one message at a time, and reported per message", async () => {
    const [a, b] = members() as [FakeBackend, FakeBackend];
    const [m1, m2] = [heldMessage(), heldMessage()];
    b.answer = (batch) => ({
      results: new Map(
        batch.map((out) => [out.id, out === m2 ? failedAs("bad_message", "message") : succeededWith("")]),
      ),
      call: callReport(),
    });
    const report = await createFanOut([a, b], { sequential: false }).send([m1, m2]);
    assert.deepEqual(a.sent, [[m1], [m2]]);
    assert.deepEqual(
      [m1, m2].map((m) => report.results.get(m.id)?.kind),
      ["succeeded", "failed"],
    );
  });

  it("released goes to every backend that keeps something per message; close closes them all", () => {
    const [a, b] = members() as [FakeBackend, FakeBackend];
    const released: number[] = [];
    Object.assign(a, { released: (out: OutgoingMessage) => released.push(out.id) });
    const fan = createFanOut([a, b], { sequential: false });
    const m = heldMessage();
    fan.released?.(m);
    assert.deepEqual(released, [m.id]);
    fan.close();
    assert.deepEqual([a.closed, b.closed], [1, 1]);
  });

  it("a backend that reports its call's failure without an outcome for the message fails the message", {}, async () => {
    const [a, b] = members() as [FakeBackend, FakeBackend];
    b.answer = () => ({ results: new Map(), call: callReport("throttled", "systemic") });
    const m = heldMessage();
    const report = await createFanOut([a, b], { sequential: false }).send([m]);
    assert.equal(report.results.get(m.id)?.kind, "failed");
    assert.equal(m.backendsDone.has(1), false);
  });
});
