import assert from "node:assert/strict";
import { describe, it } from "node:test";
import middy from "@middy/core";
import fc from "fast-check";
import {
  decodeHeaders,
  isJsonContentType,
  processRecords,
  type RabbitMQHeaderValue,
  type RabbitMQMessage,
  type RabbitMQParsedHeaderValue,
  rabbitMQParser,
  rabbitMQPartialBatchFailure,
  recordsOf,
} from "../../../src/middleware/index.js";
import { event, invoke, message, silent } from "./fixtures.js";

/** Decoded header values; tables never use the key "bytes" (that shape is the string encoding). */
const { header } = fc.letrec<{ header: RabbitMQParsedHeaderValue }>((tie) => ({
  header: fc.oneof(
    { depthSize: "small" },
    fc.string({ unit: "binary" }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("header"), { maxLength: 4 }),
    fc.dictionary(
      fc.string().filter((key) => key !== "bytes"),
      tie("header"),
      { maxKeys: 4, noNullPrototype: true },
    ),
  ),
}));

/** The wire encoding of a decoded header value (strings as UTF-8 bytes), as the agent produces it. */
function encode(value: RabbitMQParsedHeaderValue): RabbitMQHeaderValue {
  if (typeof value === "string") return { bytes: [...Buffer.from(value, "utf8")] };
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  }
  return value;
}

const jsonContentType = fc
  .tuple(
    fc.constantFrom("application/json", "application/vnd.api+json", "text/x+json", "application/ld+json"),
    fc.constantFrom("", "; charset=utf-8", ";charset=UTF-8", "; profile=x"),
    fc.boolean(),
  )
  .map(([type, params, upper]) => `${upper ? type.toUpperCase() : type}${params}`);

type Outcome = "ok" | "error" | "string" | "undefined" | "invalid-json";
const outcome = fc.constantFrom<Outcome>("ok", "error", "string", "undefined", "invalid-json");

/** Builds an event from per-queue outcomes; delivery tags are unique, and bodies name the outcome. */
function batch(queues: Outcome[][]) {
  let tag = 0;
  const expected: string[] = [];
  const byQueue: Record<string, RabbitMQMessage[]> = {};
  queues.forEach((outcomes, q) => {
    byQueue[`queue${q}::/`] = outcomes.map((kind) => {
      const deliveryTag = String(++tag);
      if (kind !== "ok") expected.push(deliveryTag);
      const body = kind === "invalid-json" ? "{" : JSON.stringify(kind);
      return message(body, deliveryTag, { contentType: "application/json" });
    });
  });
  return { raw: event(byQueue), expected: expected.map((itemIdentifier) => ({ itemIdentifier })) };
}

function fail(kind: unknown): void {
  if (kind === "error") throw new Error("e");
  if (kind === "string") throw "s";
  if (kind === "undefined") throw undefined;
}

describe("properties", () => {
  it("headers decode back to the values that were encoded", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), header, { maxKeys: 6, noNullPrototype: true }), (headers) => {
        const wire = JSON.parse(JSON.stringify(encode(headers)));
        assert.deepEqual(decodeHeaders(wire), headers);
      }),
    );
  });

  it("JSON bodies parse to their value with any JSON content type", () => {
    fc.assert(
      fc.property(fc.jsonValue(), jsonContentType, (value, contentType) => {
        const text = JSON.stringify(value);
        const [record] = recordsOf(event({ "q::/": [message(text, "1", { contentType })] }));
        assert.ok(isJsonContentType(contentType));
        assert.equal(record?.parseError, undefined);
        assert.deepEqual(record?.body, JSON.parse(text));
        assert.deepEqual(record?.rawBody, Buffer.from(text, "utf8"));
      }),
    );
  });

  it("any bytes survive in rawBody, and body is their UTF-8 reading", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 256 }),
        fc.constantFrom(null, "text/plain", "application/octet-stream"),
        (bytes, contentType) => {
          const [record] = recordsOf(event({ "q::/": [message(bytes, "1", { contentType })] }));
          assert.deepEqual(record?.rawBody, Buffer.from(bytes));
          assert.equal(record?.body, Buffer.from(bytes).toString("utf8"));
          assert.equal(record?.parseError, undefined);
        },
      ),
    );
  });

  it("processRecords reports exactly the failed delivery tags, in record order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(outcome, { maxLength: 6 }), { maxLength: 4 }), async (queues) => {
        const { raw, expected } = batch(queues);
        assert.deepEqual(await processRecords(raw, (record) => fail(record.body), silent), {
          batchItemFailures: expected,
        });
      }),
    );
  });

  it("the middy allSettled style gives the same response", async () => {
    const handler = middy()
      .use(rabbitMQParser())
      .use(rabbitMQPartialBatchFailure(silent))
      .handler((parsed) =>
        Promise.allSettled(
          parsed.records.map(async (record) => {
            if (record.parseError) throw record.parseError;
            fail(record.body);
          }),
        ),
      );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(outcome, { maxLength: 6 }), { maxLength: 4 }), async (queues) => {
        const { raw, expected } = batch(queues);
        assert.deepEqual(await invoke(handler, raw), { batchItemFailures: expected });
      }),
    );
  });
});
