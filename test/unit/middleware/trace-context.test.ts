import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Context } from "aws-lambda";
import { parseRabbitMQEvent, traceContextOf } from "../../../src/middleware/index.js";
import { amazonMessage, bytes } from "./fixtures.js";

const PUBLISHER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const AGENT = "00-6a1b2c3d77b34da6a3ce929d0e0e4736-1111222233334444-00";

/** A Lambda context whose client context came from the agent's X-Amz-Client-Context. */
const fromAgent = (custom: unknown) => ({ clientContext: { custom } }) as unknown as Context;

function parsedRecord(headers: Record<string, string>) {
  const message = amazonMessage("{}", {
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, bytes(v)])),
  });
  const event = parseRabbitMQEvent({
    eventSource: "aws:rmq",
    eventSourceArn: "x",
    rmqMessagesByQueue: { "q::/": [message] },
  });
  return event.records[0] as NonNullable<(typeof event.records)[number]>;
}

describe("traceContextOf (function side)", () => {
  it("prefers the record's own traceparent header", () => {
    const record = parsedRecord({ traceparent: PUBLISHER, tracestate: "rojo=1" });
    assert.deepEqual(traceContextOf(record, fromAgent({ traceparent: AGENT })), {
      traceparent: PUBLISHER,
      tracestate: "rojo=1",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      sampled: true,
      source: "record",
    });
  });

  it("reads an unparsed record's raw header bytes too", () => {
    const message = amazonMessage("{}", { headers: { traceparent: bytes(PUBLISHER) } });
    assert.equal(traceContextOf(message)?.spanId, "00f067aa0ba902b7");
  });

  it("falls back to the agent's client context", () => {
    const found = traceContextOf(parsedRecord({}), fromAgent({ traceparent: AGENT, tracestate: "a=1" }));
    assert.equal(found?.source, "client-context");
    assert.equal(found?.traceparent, AGENT);
    assert.equal(found?.tracestate, "a=1");
    assert.equal(found?.sampled, false);
    const malformedOwn = parsedRecord({ traceparent: "00-nope" });
    assert.equal(traceContextOf(malformedOwn, fromAgent({ traceparent: AGENT }))?.source, "client-context");
  });

  it("gives undefined when neither is valid, never throws", () => {
    for (const context of [
      undefined,
      null,
      {} as Context,
      fromAgent(null),
      fromAgent("str"),
      fromAgent({ traceparent: 5 }),
      fromAgent({ traceparent: PUBLISHER.toUpperCase() }),
      fromAgent(Object.create({ traceparent: AGENT })),
    ]) {
      assert.equal(traceContextOf(parsedRecord({ traceparent: "x" }), context), undefined);
    }
    assert.equal(traceContextOf({ basicProperties: null }), undefined);
    assert.equal(traceContextOf({}), undefined);
  });

  it("does not pass on an oversized tracestate", () => {
    const found = traceContextOf(
      parsedRecord({ traceparent: PUBLISHER, tracestate: `a=${"v".repeat(9000)}` }),
    );
    assert.equal(found?.tracestate, undefined);
    assert.equal(found?.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  });
});
