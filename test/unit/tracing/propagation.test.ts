import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createTracing, type Tracing, withTraceHeaders } from "../../../src/tracing/index.js";
import { ownTable } from "../amqp-fixtures.js";
import {
  decodeClientContext,
  NOW,
  plausibleTraceId,
  spanIdOf,
  tracedMessage,
  traceparent,
  w3cTraceId,
} from "./fixtures.js";

const LAMBDA = { kind: "lambda", functionName: "orders" } as const;
const HTTP = { kind: "http", method: "POST", url: "https://api.example.com/orders" } as const;
const now = () => NOW;

/** Tracing on, export off (no OTLP endpoint). */
const propagating = (parent: "child" | "link" = "child"): Promise<Tracing> =>
  createTracing({ enabled: true, parent }, {}, { now });

describe("tracing off", () => {
  it("reads and writes nothing, and allocates nothing per invocation", async () => {
    const tracing = await createTracing({ enabled: false, parent: "child" }, {});
    assert.equal(tracing.mode, "off");
    const message = tracedMessage({ headers: { traceparent: traceparent(w3cTraceId(), spanIdOf(1)) } });
    const first = tracing.startInvocation([message], "q");
    assert.equal(tracing.startInvocation([message], "q"), first, "one shared object");
    assert.equal(first.startCall(LAMBDA).headers, undefined);
    assert.equal(first.copyHeaders(0), undefined);
    assert.deepEqual(tracing.notes, []);
  });

  it("says once that the export settings are ignored", async () => {
    const tracing = await createTracing(
      { enabled: false, parent: "child" },
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" },
    );
    assert.equal(tracing.mode, "off");
    assert.match(tracing.notes.join("\n"), /ignored/);
  });
});

describe("tracing on, export off: the context is carried on", () => {
  it("one message, parent child: the message's trace, a fresh span id per call, never the publisher's", async () => {
    const tracing = await propagating();
    assert.equal(tracing.mode, "propagate");
    const traceId = plausibleTraceId(7);
    const message = tracedMessage({
      headers: { traceparent: traceparent(traceId, spanIdOf(1)), tracestate: " rojo=1 , congo=2" },
    });
    const invocation = tracing.startInvocation([message], "q");
    const first = invocation.startCall(LAMBDA);
    const second = invocation.startCall(LAMBDA);
    const context = decodeClientContext(first.headers);
    const [, sentTrace, sentSpan, flags] = context.traceparent.split("-");
    assert.equal(sentTrace, traceId);
    assert.notEqual(sentSpan, spanIdOf(1));
    assert.equal(flags, "01");
    assert.equal(context.tracestate, "rojo=1,congo=2");
    assert.notEqual(
      decodeClientContext(second.headers).traceparent,
      context.traceparent,
      "each call its own span id",
    );
    assert.equal(
      first.headers?.["X-Amzn-Trace-Id"],
      `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${sentSpan};Sampled=1`,
    );
    assert.equal(first.dropped, undefined);
  });

  it("keeps the sampled flag, and sends no X-Ray header for a trace id X-Ray would reject", async () => {
    const invocation = (await propagating()).startInvocation(
      [tracedMessage({ headers: { traceparent: traceparent(w3cTraceId(), spanIdOf(1), false) } })],
      "q",
    );
    const call = invocation.startCall(LAMBDA);
    assert.match(
      decodeClientContext(call.headers).traceparent,
      new RegExp(`^00-${w3cTraceId()}-[0-9a-f]{16}-00$`),
    );
    assert.equal(call.headers?.["X-Amzn-Trace-Id"], undefined);
  });

  it("HTTP backends get traceparent and tracestate", async () => {
    const message = tracedMessage({
      headers: { traceparent: traceparent(w3cTraceId(), spanIdOf(1)), tracestate: "a=1" },
    });
    const { headers } = (await propagating()).startInvocation([message], "q").startCall(HTTP);
    assert.deepEqual(Object.keys(headers ?? {}), ["traceparent", "tracestate"]);
    assert.match(
      headers?.traceparent ?? "",
      new RegExp(`^00-${w3cTraceId()}-(?!${spanIdOf(1)})[0-9a-f]{16}-01$`),
    );
    assert.equal(headers?.tracestate, "a=1");
  });

  it("a batch: a new trace (what the CONSUMER span would start), sampled when a message was, no tracestate", async () => {
    const messages = [
      tracedMessage({
        headers: { traceparent: traceparent(w3cTraceId(1), spanIdOf(1), false), tracestate: "a=1" },
      }),
      tracedMessage({ headers: {} }),
      tracedMessage({ headers: { traceparent: traceparent(w3cTraceId(2), spanIdOf(2), true) } }),
    ];
    const call = (await propagating()).startInvocation(messages, "q").startCall(LAMBDA);
    const context = decodeClientContext(call.headers);
    const [, traceId, , flags] = context.traceparent.split("-");
    assert.ok(traceId !== w3cTraceId(1) && traceId !== w3cTraceId(2));
    assert.equal(flags, "01");
    assert.equal(context.tracestate, undefined);
    assert.match(
      call.headers?.["X-Amzn-Trace-Id"] ?? "",
      /^Root=1-/,
      "a trace the agent starts is an X-Ray root",
    );
  });

  it("parent link: one message also gets a new trace", async () => {
    const message = tracedMessage({ headers: { traceparent: traceparent(w3cTraceId(), spanIdOf(1)) } });
    const call = (await propagating("link")).startInvocation([message], "q").startCall(LAMBDA);
    assert.doesNotMatch(decodeClientContext(call.headers).traceparent, new RegExp(w3cTraceId()));
  });

  it("no message with a valid context: nothing is sent", async () => {
    const tracing = await propagating();
    for (const headers of [
      undefined,
      {},
      { traceparent: "garbage" },
      { traceparent: Buffer.from("00-zz") },
    ]) {
      const call = tracing
        .startInvocation([tracedMessage({ headers }), tracedMessage({ headers })], "q")
        .startCall(LAMBDA);
      assert.equal(call.headers, undefined);
      const single = tracing.startInvocation([tracedMessage({ headers })], "q").startCall(HTTP);
      assert.equal(single.headers, undefined);
    }
  });

  it("a copy carries the message's own context (nothing of the agent's was recorded)", async () => {
    const messages = [
      tracedMessage({
        headers: { traceparent: ` ${traceparent(w3cTraceId(1), spanIdOf(1))}`, tracestate: "a=1 , b=2" },
      }),
      tracedMessage({ headers: { traceparent: "malformed" } }),
    ];
    const invocation = (await propagating()).startInvocation(messages, "q");
    assert.deepEqual(invocation.copyHeaders(0), {
      traceparent: traceparent(w3cTraceId(1), spanIdOf(1)),
      tracestate: "a=1,b=2",
    });
    assert.equal(invocation.copyHeaders(1), undefined);
  });
});

describe("withTraceHeaders (a copy's header table)", () => {
  it("replaces the original traceparent and tracestate, keeps the rest", () => {
    const original = { traceparent: "old", tracestate: "old=1", "x-agent-attempts": 3 };
    assert.deepEqual(withTraceHeaders(original, { traceparent: "new" }), {
      "x-agent-attempts": 3,
      traceparent: "new",
    });
    assert.deepEqual(
      original,
      { traceparent: "old", tracestate: "old=1", "x-agent-attempts": 3 },
      "not mutated",
    );
  });

  it("without trace headers the table is left as it is; __proto__ stays a plain key", () => {
    const table = ownTable([
      ["__proto__", { traceparent: "x" }],
      ["a", 1],
    ]);
    assert.equal(withTraceHeaders(table, undefined), table);
    const copy = withTraceHeaders(table, { traceparent: "new" });
    assert.ok(Object.hasOwn(copy, "__proto__"));
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  });
});
