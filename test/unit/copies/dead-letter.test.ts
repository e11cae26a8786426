import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConsumeMessage, Options } from "amqplib";
import fc from "fast-check";
import { PUBLISH_ID_HEADER } from "../../../src/amqp/confirmed-publish.js";
import type { Failure } from "../../../src/backends/failure-scope.js";
import { AGENT_HEADERS } from "../../../src/copies/agent-headers.js";
import {
  type DeadLetterContext,
  deadLetterOptions,
  redriveOptions,
} from "../../../src/copies/dead-letter.js";
import { HEADER_BUDGET_BYTES, republishHeaders } from "../../../src/copies/republish-headers.js";
import {
  AMQPLIB_TABLE_BUFFER_BYTES,
  amqplibEncodedSize,
  fakeMessage,
  headers as headerTables,
  nestedTables,
  ODD_KEYS,
  ownTable,
  throughTheWire,
} from "../amqp-fixtures.js";

const h = AGENT_HEADERS;

const failure: Failure = { kind: "function_error", errorType: "TypeError", message: "bad", durationMs: 1 };

function context(overrides: Partial<DeadLetterContext> = {}): DeadLetterContext {
  return {
    agent: "agent-1",
    queue: "orders",
    functionName: "fn",
    attempts: 3,
    failure,
    origin: { exchange: "orders", routingKey: "order.created" },
    now: new Date(0),
    ...overrides,
  };
}

/** A publisher's message with every kind of property. */
const original = fakeMessage({
  content: '{"id":1}',
  headers: { tenant: "a", CC: ["payments"], BCC: ["audit"] },
  properties: {
    contentType: "application/json",
    contentEncoding: "utf-8",
    deliveryMode: 1,
    priority: 3,
    correlationId: "c-1",
    replyTo: "replies",
    expiration: "60000",
    messageId: "m-1",
    timestamp: 1_700_000_000,
    type: "order",
    userId: "publisher",
    appId: "shop",
    clusterId: undefined,
  },
});

/** The message a consumer of the dead-letter queue receives for these publish options. */
function consumed(
  options: Options.Publish,
  fields: { exchange: string; routingKey: string },
): ConsumeMessage {
  const { headers, ...properties } = options as Options.Publish & { headers: Record<string, unknown> };
  return fakeMessage({ ...fields, headers: throughTheWire(headers), properties });
}

/** Room the agent's own headers need in a copy. */
const AGENT_HEADERS_ROOM = 2 * 1024;

describe("deadLetterOptions", () => {
  const options = deadLetterOptions(original, context());
  const headers = options.headers as Record<string, unknown>;

  it("keeps the body's properties", () => {
    assert.equal(options.contentType, "application/json");
    assert.equal(options.contentEncoding, "utf-8");
    assert.equal(options.priority, 3);
    assert.equal(options.correlationId, "c-1");
    assert.equal(options.replyTo, "replies");
    assert.equal(options.messageId, "m-1");
    assert.equal(options.timestamp, 1_700_000_000);
    assert.equal(options.type, "order");
    assert.equal(options.appId, "shop");
    assert.equal(Object.hasOwn(options, "clusterId"), false, "unset properties are left out");
  });

  it("is persistent, with the original delivery mode in a header", () => {
    assert.equal(options.deliveryMode, 2);
    assert.equal(headers[h.deliveryMode], 1);
    const transient = deadLetterOptions(fakeMessage({ properties: {} }), context());
    assert.equal(transient.deliveryMode, 2);
    assert.equal(Object.hasOwn(transient.headers ?? {}, h.deliveryMode), false, "none to keep");
  });

  it("a copy of a copy keeps the first original delivery mode", () => {
    const copy = consumed(options, { exchange: "agent.x", routingKey: "orders.dlq" });
    assert.equal(copy.properties.deliveryMode, 2);
    const again = deadLetterOptions(copy, context());
    assert.equal(again.headers?.[h.deliveryMode], 1);
  });

  it("moves expiration and userId into headers (the copy must not expire nor be refused)", () => {
    assert.equal(Object.hasOwn(options, "expiration"), false);
    assert.equal(Object.hasOwn(options, "userId"), false);
    assert.equal(headers[h.expiration], "60000");
    assert.equal(headers[h.userId], "publisher");
  });

  it("never routes by CC/BCC: they are kept as x-agent-original-cc/-bcc", () => {
    assert.equal(Object.hasOwn(headers, "CC"), false);
    assert.equal(Object.hasOwn(headers, "BCC"), false);
    assert.deepEqual(headers[h.cc], ["payments"]);
    assert.deepEqual(headers[h.bcc], ["audit"]);
    assert.equal(headers.tenant, "a");
  });

  it("says what failed, where, and how often", () => {
    const retried = deadLetterOptions(
      fakeMessage({ exchange: "agent.x", routingKey: "orders.retry.10s" }),
      context({ origin: { exchange: "shop", routingKey: "order.paid" }, attempts: 7 }),
    );
    assert.deepEqual(
      Object.fromEntries(Object.entries(retried.headers ?? {}).filter(([key]) => key.startsWith("x-agent-"))),
      {
        [h.errorType]: "TypeError",
        [h.errorMessage]: "bad",
        [h.attempts]: 7,
        [h.functionName]: "fn",
        [h.failedAt]: "1970-01-01T00:00:00.000Z",
        [h.agent]: "agent-1",
        [h.exchange]: "shop",
        [h.routingKey]: "order.paid",
        [h.queue]: "orders",
      },
    );
  });

  it("truncates the error type and message", () => {
    const long = deadLetterOptions(
      original,
      context({ failure: { ...failure, errorType: "T".repeat(1_000), message: "m".repeat(50_000) } }),
    );
    assert.equal(String(long.headers?.[h.errorType]).length, 255);
    assert.equal(String(long.headers?.[h.errorMessage]).length, 1000);
  });

  it("its own headers win over forged ones, and the publish id of an earlier copy is dropped", () => {
    const forged = deadLetterOptions(
      fakeMessage({
        headers: { [h.errorType]: "Forged", [h.queue]: "elsewhere", [PUBLISH_ID_HEADER]: "17" },
      }),
      context(),
    );
    assert.equal(forged.headers?.[h.errorType], "TypeError");
    assert.equal(forged.headers?.[h.queue], "orders");
    assert.equal(Object.hasOwn(forged.headers ?? {}, PUBLISH_ID_HEADER), false);
  });

  it("what it returns can be published by amqplib", () => {
    assert.ok(amqplibEncodedSize(headers) < AMQPLIB_TABLE_BUFFER_BYTES);
  });
});

describe("republishHeaders", () => {
  it("copies ordinary headers as they are", () => {
    const input = {
      a: "x",
      n: 5,
      f: 1.5,
      b: true,
      z: null,
      buf: Buffer.from("hi"),
      list: [1, "two"],
      t: { k: "v" },
    };
    assert.deepEqual(republishHeaders(input), input);
    assert.deepEqual(republishHeaders(undefined), {});
  });

  it("copies own keys only", () => {
    const inherited = Object.create({ "x-agent-retry-count": 1, evil: "yes" }) as Record<string, unknown>;
    inherited.mine = 1;
    assert.deepEqual(Object.keys(republishHeaders(inherited)), ["mine"]);
  });

  it("keeps __proto__, constructor and toString as ordinary own keys", () => {
    const input = ownTable([
      ["__proto__", { polluted: "yes" }],
      ["constructor", "c"],
      ["toString", { nested: 1 }],
    ]);
    const result = republishHeaders(input);
    assert.equal(Object.getPrototypeOf(result), Object.prototype);
    assert.deepEqual(Object.keys(result), ["__proto__", "constructor", "toString"]);
    assert.deepEqual(Object.getOwnPropertyDescriptor(result, "__proto__")?.value, { polluted: "yes" });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("leaves out headers nested too deep, and says which", () => {
    const result = republishHeaders({ deep: nestedTables(40), shallow: nestedTables(5), ok: "x" });
    assert.deepEqual(Object.keys(result).sort(), [h.headersTruncated, "ok", "shallow"].sort());
    assert.match(result[h.headersTruncated] as string, /1 original header\(s\) left out.*"deep"/);
  });

  it("over the budget, leaves out the largest headers first, and says which", () => {
    const result = republishHeaders({ small: "a", big: "x".repeat(150), mid: "y".repeat(60), tiny: 1 }, 120);
    assert.deepEqual(Object.keys(result).sort(), [h.headersTruncated, "mid", "small", "tiny"].sort());
    assert.match(result[h.headersTruncated] as string, /"big"/);
    assert.doesNotMatch(result[h.headersTruncated] as string, /"mid"/);
  });

  it("a header of 60 KB is left out by the default budget", () => {
    const result = republishHeaders({ huge: "x".repeat(60 * 1024), tenant: "a" });
    assert.deepEqual(Object.keys(result).sort(), [h.headersTruncated, "tenant"].sort());
    assert.ok(amqplibEncodedSize(result) <= HEADER_BUDGET_BYTES);
  });

  it("names at most 1000 characters of left-out headers", () => {
    const input: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) input[`k${i}-${"n".repeat(60)}`] = nestedTables(40);
    const note = republishHeaders(input)[h.headersTruncated] as string;
    assert.ok(note.length <= 1000);
    assert.match(note, /^200 original header/);
  });

  it("never throws, never routes, and keeps every key as its own (property)", () => {
    fc.assert(
      fc.property(headerTables, (input) => {
        const result = republishHeaders(input);
        assert.equal(Object.getPrototypeOf(result), Object.prototype);
        assert.equal(Object.hasOwn(result, "CC"), false);
        assert.equal(Object.hasOwn(result, "BCC"), false);
        for (const key of Object.keys(input)) {
          if (key === "CC" || key === "BCC") continue;
          const kept = Object.hasOwn(result, key);
          const noted = String(result[h.headersTruncated] ?? "").includes(JSON.stringify(key.slice(0, 64)));
          assert.ok(kept || noted, `header ${JSON.stringify(key)} vanished without a note`);
        }
      }),
      { numRuns: 500 },
    );
  });

  // BUG (src/agent/republish-headers.ts): "made safe to publish" does not hold. amqplib's encoder
  // cannot encode some values its own decoder produces, and treats any table with an own "!" key as a
  // typed value; publishing the copy then throws inside channel.publish, so the dead letter (or
  // retry) fails and the message goes back to the queue, every time. Expected: such headers are
  // left out (and named in x-agent-headers-truncated) or converted, so the copy can always be sent.
  describe("what it returns, amqplib can publish", () => {
    const unpublishable: Array<[string, unknown]> = [
      ["NaN (a 'd' double from the wire)", Number.NaN],
      ["-Infinity", Number.NEGATIVE_INFINITY],
      ["a non-integer of magnitude 2^51 (encoded as int64)", 2 ** 51 + 0.5],
      ["a table with an own '!' key (from a non-amqplib publisher)", { "!": "x", other: 1 }],
      ["a timestamp of 2^64 - 1 (decoded as 2^64)", { "!": "timestamp", value: Number(2n ** 64n - 1n) }],
      ["a nested NaN", { inner: [Number.NaN] }],
    ];
    for (const [what, value] of unpublishable) {
      it(`with ${what}`, () => {
        const result = republishHeaders({ tenant: "a", odd: value });
        assert.doesNotThrow(() => amqplibEncodedSize(result));
        assert.equal(result.tenant, "a", "the other headers are kept");
      });
    }

    it("with keys of multi-byte characters (the budget counts UTF-16 units, not bytes)", () => {
      // 450 keys of 249 UTF-8 bytes (82 three-byte characters and 3 digits): about 115 KB on the
      // wire, which RabbitMQ accepts in its 128 KB frame from any client; the estimate counts 85 per
      // key (about 41 KB in all, under the 48 KB budget) and keeps them all.
      const input: Record<string, unknown> = {};
      for (let i = 0; i < 450; i++) input[`${"界".repeat(82)}${String(i).padStart(3, "0")}`] = "";
      const result = republishHeaders(input);
      let size = Number.POSITIVE_INFINITY;
      assert.doesNotThrow(() => {
        size = amqplibEncodedSize(result);
      });
      assert.ok(size + AGENT_HEADERS_ROOM <= AMQPLIB_TABLE_BUFFER_BYTES);
    });

    it("for any header table (property)", () => {
      fc.assert(
        fc.property(headerTables, (input) => {
          amqplibEncodedSize(republishHeaders(input));
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe("redriveOptions", () => {
  const deadLetter = consumed(
    deadLetterOptions(original, context({ origin: { exchange: "shop", routingKey: "order.paid" } })),
    { exchange: "agent.x", routingKey: "orders.dlq" },
  );
  const redrive = redriveOptions(deadLetter);

  it("goes back to the original exchange and routing key", () => {
    assert.equal(redrive?.exchange, "shop");
    assert.equal(redrive?.routingKey, "order.paid");
  });

  it("restores the original delivery mode and keeps the body's properties", () => {
    assert.equal(redrive?.options.deliveryMode, 1);
    assert.equal(redrive?.options.contentType, "application/json");
    assert.equal(redrive?.options.messageId, "m-1");
    assert.equal(Object.hasOwn(redrive?.options ?? {}, "expiration"), false);
    assert.equal(Object.hasOwn(redrive?.options ?? {}, "userId"), false);
  });

  it("removes the agent's headers and the retry count; CC/BCC are not restored as routing headers", () => {
    const withRetry = consumed(
      deadLetterOptions(
        fakeMessage({ headers: { tenant: "a", CC: ["payments"], [h.retryCount]: 2 } }),
        context(),
      ),
      { exchange: "agent.x", routingKey: "orders.dlq" },
    );
    const headers = redriveOptions(withRetry)?.options.headers ?? {};
    assert.equal(Object.hasOwn(headers, "CC"), false);
    assert.equal(Object.hasOwn(headers, "BCC"), false);
    assert.deepEqual(Object.keys(headers).sort(), [h.cc, h.redriven, "tenant"].sort());
    assert.equal(headers[h.redriven], true, "marked: its failures are no fresh evidence for the breaker");
    assert.deepEqual(headers[h.cc], ["payments"], "kept for the record");
  });

  it("leaves the delivery mode unset when the original had none, or the header is not 1 or 2", () => {
    const transient = consumed(deadLetterOptions(fakeMessage({ properties: {} }), context()), {
      exchange: "agent.x",
      routingKey: "orders.dlq",
    });
    assert.equal(Object.hasOwn(redriveOptions(transient)?.options ?? {}, "deliveryMode"), false);
    const forged = fakeMessage({
      headers: { [h.exchange]: "shop", [h.routingKey]: "k", [h.deliveryMode]: 7 },
      properties: { deliveryMode: 2 },
    });
    assert.equal(Object.hasOwn(redriveOptions(forged)?.options ?? {}, "deliveryMode"), false);
  });

  it("is undefined for a message without the agent's headers", () => {
    assert.equal(redriveOptions(original), undefined);
    assert.equal(redriveOptions(fakeMessage({ headers: undefined })), undefined);
    assert.equal(
      redriveOptions(fakeMessage({ headers: { [h.exchange]: Buffer.from("shop"), [h.routingKey]: "k" } })),
      undefined,
      "names must be strings",
    );
  });

  it("never throws on hostile headers (property)", () => {
    fc.assert(
      fc.property(headerTables, (extra) => {
        const input = ownTable([...Object.entries(extra), [h.exchange, "shop"], [h.routingKey, "k"]]);
        const back = redriveOptions(fakeMessage({ headers: input }));
        assert.equal(back?.exchange, "shop");
        assert.equal(Object.hasOwn(back?.options.headers ?? {}, "CC"), false);
      }),
      { numRuns: 300 },
    );
  });
});

describe("odd keys survive a dead letter", () => {
  it("every odd key is an own key of the copy", () => {
    const input = ownTable(ODD_KEYS.map((key) => [key, "v"]));
    const copy = deadLetterOptions(fakeMessage({ headers: input }), context());
    for (const key of ODD_KEYS)
      assert.equal(Object.getOwnPropertyDescriptor(copy.headers, key)?.value, "v", key);
  });
});
