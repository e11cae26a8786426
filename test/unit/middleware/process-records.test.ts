import assert from "node:assert/strict";
import { describe, it } from "node:test";
import middy from "@middy/core";
import {
  processRecords,
  RabbitMQBatchFailureError,
  type RabbitMQHandler,
  rabbitMQParser,
  rabbitMQPartialBatchFailure,
  toError,
} from "../../../src/middleware/index.js";
import {
  amazonEvent,
  amazonMessage,
  context,
  event,
  invoke,
  jsonMessage,
  message,
  silent,
} from "./fixtures.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("toError", () => {
  it("returns Errors as they are", () => {
    const error = new TypeError("t");
    assert.equal(toError(error), error);
    const foreign = Object.assign(Object.create(null), { message: "m" });
    assert.notEqual(toError(foreign), foreign);
  });
  const cases: [string, unknown, string][] = [
    ["string", "boom", "boom"],
    ["empty string", "", ""],
    ["undefined", undefined, "non-Error value thrown: undefined"],
    ["null", null, "non-Error value thrown: null"],
    ["number", 42, "non-Error value thrown: 42"],
    ["bigint", 7n, "non-Error value thrown: 7n"],
    ["symbol", Symbol("s"), "non-Error value thrown: Symbol(s)"],
    ["object", { a: [1] }, 'non-Error value thrown: {"a":[1]}'],
    ["function", Math.max, "non-Error value thrown: function max() { [native code] }"],
  ];
  for (const [name, value, expected] of cases) {
    it(`wraps ${name}`, () => {
      const error = toError(value);
      assert.ok(error instanceof Error);
      assert.equal(error.message, expected);
      assert.equal(error.cause, value);
    });
  }
  it("describes circular objects", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.equal(toError(circular).message, "non-Error value thrown: [object Object]");
  });
});

describe("processRecords", () => {
  it("works in a plain handler and skips unparsable records", async () => {
    const seen: unknown[] = [];
    const handler: RabbitMQHandler = (raw) =>
      processRecords(
        raw,
        async (record, index) => {
          seen.push([index, record.body]);
          if (record.body === 2) throw new Error("two");
        },
        silent,
      );
    const raw = event({
      "a::/": [jsonMessage(1, "1"), message("{", "2", { contentType: "application/json" })],
      "b::/": [jsonMessage(2, "3"), jsonMessage(3, "4")],
    });
    assert.deepEqual(await handler(raw, context, () => {}), {
      batchItemFailures: [{ itemIdentifier: "2" }, { itemIdentifier: "3" }],
    });
    assert.deepEqual(seen, [
      [0, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it("catches synchronous throws and non-Error values", async () => {
    const errors: Error[] = [];
    const values = [undefined, "s", null];
    const raw = event({ "q::/": values.map((_, i) => jsonMessage(i, String(i + 10))) });
    const response = await processRecords(
      raw,
      (record) => {
        throw values[record.body as number];
      },
      { logger: (error) => errors.push(error) },
    );
    assert.deepEqual(response, {
      batchItemFailures: [{ itemIdentifier: "10" }, { itemIdentifier: "11" }, { itemIdentifier: "12" }],
    });
    assert.deepEqual(
      errors.map((e) => e.message),
      ["non-Error value thrown: undefined", "s", "non-Error value thrown: null"],
    );
  });

  it("returns no failures for empty batches without calling fn", async () => {
    let calls = 0;
    const fn = () => {
      calls++;
    };
    assert.deepEqual(await processRecords(event({}), fn), { batchItemFailures: [] });
    assert.deepEqual(await processRecords(event({ "q::/": [] }), fn), { batchItemFailures: [] });
    assert.equal(calls, 0);
  });

  for (const [concurrency, expected] of [
    [1, 1],
    [2, 2],
    [undefined, 5],
    [Number.POSITIVE_INFINITY, 5],
    [100, 5],
  ] as const) {
    it(`runs at most ${expected} records at once with concurrency ${concurrency}`, async () => {
      let running = 0;
      let peak = 0;
      const order: unknown[] = [];
      const raw = event({ "q::/": [1, 2, 3, 4, 5].map((n) => jsonMessage(n, String(n))) });
      const response = await processRecords(
        raw,
        async (record) => {
          running++;
          peak = Math.max(peak, running);
          await tick();
          order.push(record.body);
          running--;
        },
        { concurrency },
      );
      assert.deepEqual(response, { batchItemFailures: [] });
      assert.equal(peak, expected);
      assert.deepEqual(order, [1, 2, 3, 4, 5]);
    });
  }

  it("rejects invalid concurrency", async () => {
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(
        processRecords(event({}), () => {}, { concurrency }),
        RangeError,
        String(concurrency),
      );
    }
  });

  it("throws when a record without deliveryTag fails, after running all records", async () => {
    let calls = 0;
    const raw = amazonEvent({ "q::/": [amazonMessage("a"), amazonMessage("b")] });
    await assert.rejects(
      processRecords(raw, (record) => {
        calls++;
        if (record.body === "a") throw "nope";
      }),
      { name: "RabbitMQBatchFailureError", message: /: nope$/ },
    );
    assert.equal(calls, 2);
    await assert.rejects(
      processRecords(
        amazonEvent({ "q::/": [amazonMessage("{", { contentType: "application/json" })] }),
        () => {},
      ),
      RabbitMQBatchFailureError,
    );
  });

  it("runs inside middy with both middlewares", async () => {
    const handler = middy()
      .use([rabbitMQParser(), rabbitMQPartialBatchFailure(silent)])
      .handler((parsed) =>
        processRecords(
          parsed,
          async (record) => {
            if (record.headers.fail === true) throw new Error("fail header");
          },
          silent,
        ),
      );
    const raw = event({
      "q::/": [
        message("a", "1", { headers: { fail: true } }),
        message("b", "2", { headers: { fail: false } }),
      ],
    });
    assert.deepEqual(await invoke(handler, raw), { batchItemFailures: [{ itemIdentifier: "1" }] });
  });
});
