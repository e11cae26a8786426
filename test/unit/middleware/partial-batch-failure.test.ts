import assert from "node:assert/strict";
import { describe, it } from "node:test";
import middy from "@middy/core";
import {
  type AnyParsedRabbitMQRecord,
  processRecords,
  RabbitMQBatchFailureError,
  type RabbitMQFailureLoggingOptions,
  rabbitMQParser,
  rabbitMQPartialBatchFailure,
} from "../../../src/middleware/index.js";
import { amazonEvent, amazonMessage, event, invoke, jsonMessage, message, silent } from "./fixtures.js";

/** A middy handler with both middlewares whose records fail as `outcome(body)` says. */
function settledHandler(
  outcome: (body: unknown) => unknown,
  logger: RabbitMQFailureLoggingOptions["logger"] = false,
) {
  return middy()
    .use(rabbitMQParser())
    .use(rabbitMQPartialBatchFailure({ logger }))
    .handler((parsed) =>
      Promise.allSettled(
        parsed.records.map(async (record) => {
          if (record.parseError) throw record.parseError;
          const thrown = outcome(record.body);
          if (thrown !== "ok") throw thrown;
        }),
      ),
    );
}

const failIfNegative = (body: unknown) =>
  (body as { n: number }).n < 0 ? new Error(`negative ${(body as { n: number }).n}`) : "ok";

describe("rabbitMQPartialBatchFailure", () => {
  it("reports the rejected records by delivery tag", async () => {
    const raw = event({
      "a::/": [jsonMessage({ n: 1 }, "1"), jsonMessage({ n: -2 }, "2")],
      "b::/": [jsonMessage({ n: -3 }, "9"), jsonMessage({ n: 4 }, "10")],
    });
    assert.deepEqual(await invoke(settledHandler(failIfNegative), raw), {
      batchItemFailures: [{ itemIdentifier: "2" }, { itemIdentifier: "9" }],
    });
  });

  it("returns no failures for empty batches", async () => {
    assert.deepEqual(await invoke(settledHandler(failIfNegative), event({})), { batchItemFailures: [] });
    assert.deepEqual(await invoke(settledHandler(failIfNegative), event({ "a::/": [] })), {
      batchItemFailures: [],
    });
  });

  it("converts thrown non-Error values and logs each failure once", async () => {
    const values: Record<string, unknown> = {
      a: "boom",
      b: undefined,
      c: null,
      d: 42,
      e: { code: 1 },
      f: "ok",
    };
    const logged: [string, string | undefined][] = [];
    const logger = (error: Error, record: AnyParsedRabbitMQRecord) => {
      assert.ok(error instanceof Error);
      logged.push([error.message, record.deliveryTag]);
    };
    const raw = event({ "q::/": Object.keys(values).map((key, i) => jsonMessage(key, String(i + 1))) });
    const result = await invoke(
      settledHandler((body) => values[body as string], logger),
      raw,
    );
    assert.deepEqual(result, {
      batchItemFailures: ["1", "2", "3", "4", "5"].map((itemIdentifier) => ({ itemIdentifier })),
    });
    assert.deepEqual(logged, [
      ["boom", "1"],
      ["non-Error value thrown: undefined", "2"],
      ["non-Error value thrown: null", "3"],
      ["non-Error value thrown: 42", "4"],
      ['non-Error value thrown: {"code":1}', "5"],
    ]);
  });

  it("reports unparsable records even when the handler ignores them", async () => {
    const handler = middy()
      .use(rabbitMQParser())
      .use(rabbitMQPartialBatchFailure(silent))
      .handler(async () => undefined);
    const raw = event({
      "q::/": [
        jsonMessage(1, "1"),
        message("{bad", "2", { contentType: "application/json" }),
        message("{x", "3"),
      ],
    });
    assert.deepEqual(await invoke(handler, raw), { batchItemFailures: [{ itemIdentifier: "2" }] });
  });

  it("lets a handler error fail the whole batch", async () => {
    const boom = new Error("database down");
    const handler = middy()
      .use(rabbitMQParser())
      .use(rabbitMQPartialBatchFailure(silent))
      .handler(async () => {
        throw boom;
      });
    await assert.rejects(
      invoke(handler, event({ "q::/": [jsonMessage(1, "1")] })),
      (error) => error === boom,
    );
  });

  it("keeps a batch response returned by the handler; failures are logged once, by processRecords", async () => {
    const fromMiddleware: string[] = [];
    const fromProcessRecords: string[] = [];
    const handler = middy()
      .use(rabbitMQPartialBatchFailure({ logger: (error) => fromMiddleware.push(error.message) }))
      .handler((parsed) =>
        processRecords(
          parsed,
          (record) => {
            if (record.body === 2) throw new Error("two");
          },
          { logger: (error) => fromProcessRecords.push(error.message) },
        ),
      );
    const raw = event({
      "q::/": [
        jsonMessage(1, "1"),
        jsonMessage(2, "2"),
        message("{", "3", { contentType: "application/json" }),
      ],
    });
    assert.deepEqual(await invoke(handler, raw), {
      batchItemFailures: [{ itemIdentifier: "2" }, { itemIdentifier: "3" }],
    });
    assert.deepEqual(fromMiddleware, []);
    assert.equal(fromProcessRecords.length, 2);
    assert.equal(fromProcessRecords[0], "two");
    assert.match(String(fromProcessRecords[1]), /^invalid JSON body/);
  });

  it("merges a hand-built batch response with parse errors", async () => {
    const handler = middy()
      .use(rabbitMQPartialBatchFailure(silent))
      .handler(async () => ({ batchItemFailures: [{ itemIdentifier: "1" }] }));
    const raw = event({
      "q::/": [jsonMessage(1, "1"), message("{", "2", { contentType: "application/json" })],
    });
    assert.deepEqual(await invoke(handler, raw), {
      batchItemFailures: [{ itemIdentifier: "1" }, { itemIdentifier: "2" }],
    });
  });

  it("works without rabbitMQParser and uses console.error by default", async (t) => {
    const error = t.mock.method(console, "error", () => {});
    const handler = middy()
      .use(rabbitMQPartialBatchFailure())
      .handler((parsed) =>
        Promise.allSettled(parsed.records.map(async () => Promise.reject(new Error("no")))),
      );
    assert.deepEqual(await invoke(handler, event({ "orders::prod": [jsonMessage(1, "7")] })), {
      batchItemFailures: [{ itemIdentifier: "7" }],
    });
    assert.equal(error.mock.callCount(), 1);
    const [label, details] = error.mock.calls[0]?.arguments ?? [];
    assert.equal(label, "RabbitMQ record failed");
    assert.deepEqual(details, { queue: "orders", vhost: "prod", deliveryTag: "7", error: new Error("no") });
  });

  it("rejects responses it cannot map to records", async () => {
    const cases: [string, unknown][] = [
      ["short array", [{ status: "fulfilled", value: 1 }]],
      ["plain values", [1, 2]],
      ["other object", { ok: true }],
      ["bad failure list", { batchItemFailures: [{ id: "x" }] }],
    ];
    for (const [name, response] of cases) {
      const handler = middy()
        .use(rabbitMQPartialBatchFailure(silent))
        .handler(async () => response as never);
      const raw = event({ "q::/": [jsonMessage(1, "1"), jsonMessage(2, "2")] });
      await assert.rejects(invoke(handler, raw), TypeError, name);
    }
  });

  it("fails the whole batch when a record without deliveryTag fails", async () => {
    const handler = settledHandler((body) => (body === "bad" ? new Error("bad body") : "ok"));
    const ok = amazonEvent({ "q::/": [amazonMessage('"fine"', { contentType: "application/json" })] });
    assert.deepEqual(await invoke(handler, ok), { batchItemFailures: [] });
    const bad = amazonEvent({ "q::/": [amazonMessage('"bad"', { contentType: "application/json" })] });
    await assert.rejects(invoke(handler, bad), (error) => {
      assert.ok(error instanceof RabbitMQBatchFailureError);
      assert.equal(error.name, "RabbitMQBatchFailureError");
      assert.match(error.message, /queue "q" failed and has no deliveryTag .*: bad body$/);
      assert.deepEqual(error.cause, new Error("bad body"));
      return true;
    });
  });
});
