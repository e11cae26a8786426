import assert from "node:assert/strict";
import { describe, it } from "node:test";
import middy from "@middy/core";
import { parseRabbitMQEvent, rabbitMQParser, recordsOf } from "../../../src/middleware/index.js";
import { amazonEvent, amazonMessage, bytes, event, invoke, jsonMessage, message } from "./fixtures.js";

describe("parseRabbitMQEvent", () => {
  it("adds decoded fields and keeps every AWS and agent field", () => {
    const raw = event({
      "orders::/": [
        message('{"id":1}', "17", { contentType: "application/json", headers: { h: bytes("v") } }),
      ],
    });
    const original = structuredClone(raw.rmqMessagesByQueue["orders::/"]?.[0]);
    const parsed = parseRabbitMQEvent(raw);
    assert.equal(parsed, raw);
    const record = parsed.records[0];
    assert.ok(record);
    assert.equal(parsed.rmqMessagesByQueue["orders::/"]?.[0], record);
    const { body, rawBody, headers, queue, vhost, ...rest } = record;
    assert.deepEqual(
      { body, rawBody, headers, queue, vhost },
      {
        body: { id: 1 },
        rawBody: Buffer.from('{"id":1}'),
        headers: { h: "v" },
        queue: "orders",
        vhost: "/",
      },
    );
    assert.deepEqual(rest, original);
    assert.equal("parseError" in record, false);
  });
  it("handles empty batches", () => {
    assert.deepEqual(parseRabbitMQEvent(event({})).records, []);
    assert.deepEqual(parseRabbitMQEvent(event({ "orders::/": [] })).records, []);
    assert.deepEqual(recordsOf(event({ "a::/": [], "b::/": [] })), []);
  });
  it("flattens multiple queues in key then message order", () => {
    const parsed = parseRabbitMQEvent(
      event({
        "a::/": [message("a1", "1"), message("a2", "2")],
        "b::prod": [message("b1", "3")],
        "c::/": [],
        "d::x": [message("d1", "4")],
      }),
    );
    assert.deepEqual(
      parsed.records.map((r) => [r.queue, r.vhost, r.body, r.deliveryTag]),
      [
        ["a", "/", "a1", "1"],
        ["a", "/", "a2", "2"],
        ["b", "prod", "b1", "3"],
        ["d", "x", "d1", "4"],
      ],
    );
  });
  it("keeps binary bodies exact in rawBody", () => {
    const bin = Uint8Array.from([0xff, 0xfe, 0x00, 0x80, 0x41]);
    const [text, json] = recordsOf(
      event({ "q::/": [message(bin, "1"), message(bin, "2", { contentType: "application/json" })] }),
    );
    assert.deepEqual(text?.rawBody, Buffer.from(bin));
    assert.equal(text?.body, "\uFFFD\uFFFD\u0000\uFFFDA");
    assert.equal(text?.parseError, undefined);
    assert.deepEqual(json?.rawBody, Buffer.from(bin));
    assert.ok(json?.parseError instanceof Error);
  });
  it("marks only the record with invalid JSON", () => {
    const records = recordsOf(
      event({
        "q::/": [jsonMessage({ a: 1 }, "1"), message("{bad", "2", { contentType: "application/json" })],
      }),
    );
    assert.deepEqual(records[0]?.body, { a: 1 });
    assert.equal(records[0]?.parseError, undefined);
    assert.equal(records[1]?.body, "{bad");
    assert.match(String(records[1]?.parseError?.message), /^invalid JSON body/);
  });
  it("decodes a 5 MB body", () => {
    const big = "x".repeat(5 * 1024 * 1024);
    const [json, text] = recordsOf(event({ "q::/": [jsonMessage({ big }, "1"), message(big, "2")] }));
    assert.equal((json?.body as { big: string } | undefined)?.big.length, 5 * 1024 * 1024);
    assert.equal(text?.body, big);
    assert.equal(text?.rawBody.length, 5 * 1024 * 1024);
  });
  it("is idempotent", () => {
    const raw = event({ "q::/": [jsonMessage([1], "1")] });
    const first = parseRabbitMQEvent(raw);
    const records = first.records;
    assert.equal(parseRabbitMQEvent(first), first);
    assert.equal(first.records, records);
  });
  it("parses Amazon MQ events (no agent fields)", () => {
    const [record] = recordsOf(amazonEvent({ "q::/": [amazonMessage("hi")] }));
    assert.equal(record?.body, "hi");
    assert.equal("deliveryTag" in (record ?? {}), false);
  });
  it("records a missing data field as a parse error", () => {
    const raw = event({ "q::/": [message("x", "1")] });
    const first = raw.rmqMessagesByQueue["q::/"]?.[0] as { data?: string } | undefined;
    assert.ok(first);
    delete first.data;
    const [record] = recordsOf(raw);
    assert.equal(record?.parseError?.message, 'message in queue "q" has no base64 "data" field');
    assert.deepEqual(record?.rawBody, Buffer.alloc(0));
  });
  it("rejects events that are not RabbitMQ events", () => {
    assert.throws(() => parseRabbitMQEvent({} as never), TypeError);
    assert.throws(() => parseRabbitMQEvent({ rmqMessagesByQueue: null } as never), TypeError);
    assert.throws(() => parseRabbitMQEvent({ rmqMessagesByQueue: [] } as never), TypeError);
    assert.throws(() => parseRabbitMQEvent({ rmqMessagesByQueue: { "q::/": {} } } as never), {
      name: "TypeError",
      message: 'not a RabbitMQ event: rmqMessagesByQueue["q::/"] is not an array',
    });
  });
});

describe("rabbitMQParser through middy", () => {
  it("gives the handler parsed records", async () => {
    const handler = middy()
      .use(rabbitMQParser())
      .handler(async (parsed) => parsed.records.map((r) => [r.queue, r.body, r.headers]));
    const result = await invoke(
      handler,
      event({
        "a::/": [jsonMessage({ n: 1 }, "1"), message("t", "2", { headers: { k: [bytes("v")] } })],
        "b::/": [],
      }),
    );
    assert.deepEqual(result, [
      ["a", { n: 1 }, {}],
      ["a", "t", { k: ["v"] }],
    ]);
  });
});
