import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_HEADER_DEPTH } from "../../../../src/backends/lambda/event.js";
import { eventEnvelope } from "../../../../src/backends/lambda/event-bytes.js";
import type { InvokeOutcome, Invoker } from "../../../../src/backends/lambda/invoke/index.js";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../../src/backends/lambda/invoke/index.js";
import { createLambdaBackend } from "../../../../src/backends/lambda/lambda-backend.js";
import type { EventFormat } from "../../../../src/config/types.js";
import { nestedTables } from "../../amqp-fixtures.js";
import { heldMessage } from "../../pipeline/fakes.js";

const envelope = eventEnvelope({ queue: "orders", vhost: "/", sourceArn: "amqp://127.0.0.1:5672/" });

/** A Lambda backend whose invoker answers what the test says and keeps each payload it was given. */
function lambda(eventFormat: EventFormat = "rmq", more: { replies?: boolean; batchSize?: number } = {}) {
  const payloads: string[] = [];
  let closed = 0;
  const script = { answer: { kind: "ok", payload: undefined, durationMs: 12 } as InvokeOutcome };
  const invoker: Invoker = {
    async invoke(chunks, byteLength) {
      const bytes = Buffer.concat(chunks.map((chunk) => Buffer.from(chunk)));
      assert.equal(bytes.byteLength, byteLength);
      payloads.push(bytes.toString("utf8"));
      return script.answer;
    },
    close: () => {
      closed += 1;
    },
  };
  const backend = createLambdaBackend({
    functionName: "orders-fn",
    region: "eu-west-1",
    endpoint: undefined,
    client: "http",
    eventFormat,
    batchSize: more.batchSize ?? 10,
    batchWindowMs: 500,
    maxRetries: 2,
    timeoutMs: 1_000,
    sockets: 1,
    envelope,
    invoker,
    replies: more.replies,
  });
  return {
    backend,
    payloads,
    script,
    get closed() {
      return closed;
    },
  };
}

/** The `n` of each message body in the `aws:rmq` event a payload carries, in order. */
function bodiesSent(payload: string | undefined): number[] {
  const event = JSON.parse(payload ?? "{}") as {
    rmqMessagesByQueue: Record<string, Array<{ basicProperties: unknown; data: string }>>;
  };
  return Object.values(event.rmqMessagesByQueue).flatMap((messages) =>
    messages.map((m) => JSON.parse(Buffer.from(m.data, "base64").toString("utf8")).n),
  );
}

const failedWith = (kind: InvokeOutcome["kind"], errorType: string, reason?: string): InvokeOutcome =>
  ({ kind, errorType, message: "m", durationMs: 7, ...(reason ? { reason } : {}) }) as InvokeOutcome;

describe("createLambdaBackend (a scripted invoker)", () => {
  it("its label and limits: the function, batch settings, and what one payload may carry", () => {
    const { backend } = lambda();
    assert.deepEqual(
      [backend.label, backend.batchSize, backend.batchWindowMs, backend.maxRetries],
      ["orders-fn", 10, 500, 2],
    );
    assert.equal(
      backend.maxBatchBytes,
      MAX_SYNC_PAYLOAD_BYTES - envelope.head.byteLength - envelope.tail.byteLength,
    );
  });

  it("rmq: one event with every message; an empty response means every message succeeded", async () => {
    const l = lambda();
    const batch = [heldMessage({ content: '{"n":1}' }), heldMessage({ content: '{"n":2}' })];
    const report = await l.backend.send(batch);
    assert.equal(l.payloads.length, 1);
    assert.deepEqual(bodiesSent(l.payloads[0]), [1, 2]);
    for (const held of batch) {
      assert.deepEqual(report.results.get(held.id), {
        kind: "succeeded",
        response: { body: undefined, contentType: "application/json" },
      });
    }
    assert.deepEqual(report.call, {
      outcome: "ok",
      failure: undefined,
      scope: undefined,
      reason: "",
      startedAt: report.call?.startedAt,
      durationMs: 12,
      requestId: undefined,
    });
  });

  it("rmq: a partial batch response fails the messages it names (ambiguous), the others succeed", async () => {
    const l = lambda();
    const [a, b] = [heldMessage({ content: '{"n":1}' }), heldMessage({ content: '{"n":2}' })] as const;
    const tag = String(b.message.fields.deliveryTag);
    l.script.answer = {
      kind: "ok",
      payload: Buffer.from(JSON.stringify({ batchItemFailures: [{ itemIdentifier: tag }] })),
      durationMs: 3,
    };
    const report = await l.backend.send([a, b]);
    assert.equal(report.results.get(a.id)?.kind, "succeeded");
    const failed = report.results.get(b.id);
    assert.equal(failed?.kind === "failed" && failed.scope, "ambiguous");
    assert.equal(failed?.kind === "failed" && failed.failure.kind, "item_failure");
  });

  it("rmq: a response that is not a partial batch response fails the whole batch (invalid_response)", async () => {
    const l = lambda();
    l.script.answer = { kind: "ok", payload: Buffer.from("not json"), durationMs: 3 };
    const batch = [heldMessage(), heldMessage()];
    const report = await l.backend.send(batch);
    assert.deepEqual(
      batch.map((held) => {
        const outcome = report.results.get(held.id);
        return outcome?.kind === "failed" ? [outcome.failure.kind, outcome.scope] : outcome?.kind;
      }),
      [
        ["invalid_response", "ambiguous"],
        ["invalid_response", "ambiguous"],
      ],
    );
  });

  it("a message that cannot be put in an event fails on its own; the others still go", async () => {
    const l = lambda();
    const deep = heldMessage({ headers: { deep: nestedTables(MAX_HEADER_DEPTH + 5) } });
    const fine = heldMessage({ content: '{"n":1}' });
    assert.equal(l.backend.sizeOf(deep), 0);
    const report = await l.backend.send([deep, fine]);
    const own = report.results.get(deep.id);
    assert.equal(own?.kind === "failed" && own.failure.errorType, "UnrepresentableMessage");
    assert.equal(own?.kind === "failed" && own.scope, "message");
    assert.equal(report.results.get(fine.id)?.kind, "succeeded");
    assert.deepEqual(bodiesSent(l.payloads[0]), [1]);
    const alone = await l.backend.send([deep]);
    assert.equal(alone.call, undefined, "nothing left to send: no call");
    assert.equal(l.payloads.length, 1);
  });

  it("a message's size is its share of the event (built once, reused by every attempt)", async () => {
    const l = lambda();
    const held = heldMessage({ content: '{"n":1}' });
    const size = l.backend.sizeOf(held);
    assert.ok(size > held.message.content.byteLength, "the event's JSON around the body");
    await l.backend.send([held]);
    await l.backend.send([held]);
    assert.equal(l.payloads[0], l.payloads[1]);
  });

  it("a failed call fails each message with the call's failure and scope; the reason names the throttle", async () => {
    const l = lambda();
    l.script.answer = failedWith(
      "throttled",
      "TooManyRequestsException",
      "ReservedFunctionConcurrentInvocationLimitExceeded",
    );
    const held = heldMessage();
    const report = await l.backend.send([held]);
    const outcome = report.results.get(held.id);
    assert.equal(outcome?.kind === "failed" && outcome.scope, "systemic");
    assert.equal(
      report.call?.reason,
      "TooManyRequestsException (ReservedFunctionConcurrentInvocationLimitExceeded)",
    );
    assert.deepEqual([report.call?.outcome, report.call?.durationMs], ["throttled", 7]);
  });

  it("too large: several messages are split; one alone fails as its own (no duration: never sent)", async () => {
    const l = lambda();
    l.script.answer = failedWith("too_large", "RequestTooLargeException");
    const batch = [heldMessage(), heldMessage()];
    const split = await l.backend.send(batch);
    assert.deepEqual(
      batch.map((held) => split.results.get(held.id)?.kind),
      ["split", "split"],
    );
    const [one] = batch;
    const alone = await l.backend.send([one as (typeof batch)[0]]);
    const outcome = alone.results.get(one?.id ?? 0);
    assert.equal(outcome?.kind === "failed" && outcome.scope, "message");
    assert.equal(alone.call?.durationMs, undefined);
  });

  it("body: the body is the payload; each message succeeds; a body that is not JSON is never sent", async () => {
    const l = lambda("body");
    const json = heldMessage({ content: '{"a":1}' });
    assert.equal(l.backend.sizeOf(json), 7);
    const report = await l.backend.send([json]);
    assert.deepEqual(l.payloads, ['{"a":1}']);
    assert.equal(report.results.get(json.id)?.kind, "succeeded");
    const text = heldMessage({ content: "plain text" });
    const refused = await l.backend.send([text]);
    const outcome = refused.results.get(text.id);
    assert.equal(outcome?.kind === "failed" && outcome.failure.errorType, "InvalidJsonBody");
    assert.equal(l.payloads.length, 1);
  });

  it("replies: each message's reply read from the response (replies entries in a batch)", async () => {
    const l = lambda("rmq", { replies: true });
    const [a, b, c] = [1, 2, 3].map((n) => heldMessage({ content: `{"n":${n}}` })) as [
      ReturnType<typeof heldMessage>,
      ReturnType<typeof heldMessage>,
      ReturnType<typeof heldMessage>,
    ];
    const [tagA, tagC] = [a, c].map((m) => String(m.message.fields.deliveryTag));
    l.script.answer = {
      kind: "ok",
      payload: Buffer.from(
        JSON.stringify({
          batchItemFailures: [{ itemIdentifier: tagC }],
          replies: [{ itemIdentifier: tagA, body: 1 }],
        }),
      ),
      durationMs: 3,
    };
    const report = await l.backend.send([a, b, c]);
    const replyOf = (m: typeof a) => {
      const outcome = report.results.get(m.id);
      return outcome?.kind === "succeeded" ? outcome.response : undefined;
    };
    assert.equal(Buffer.from(replyOf(a)?.body ?? []).toString(), "1");
    assert.equal(replyOf(b)?.withoutReply, true, "no entry: no reply");
    assert.equal(report.results.get(c.id)?.kind, "failed");
  });

  it("replies with one message per invocation (batch_size 1, or body): the payload as returned", async () => {
    for (const format of ["rmq", "body"] as const) {
      const l = lambda(format, { replies: true, batchSize: 1 });
      l.script.answer = { kind: "ok", payload: Buffer.from('{"total":3}'), durationMs: 3 };
      const m = heldMessage({ content: '{"n":1}' });
      const outcome = (await l.backend.send([m])).results.get(m.id);
      assert.equal(
        outcome?.kind === "succeeded" && Buffer.from(outcome.response.body ?? []).toString(),
        '{"total":3}',
      );
    }
  });

  it("close closes the invoker", () => {
    const l = lambda();
    l.backend.close();
    assert.equal(l.closed, 1);
  });
});
