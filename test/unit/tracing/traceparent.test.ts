import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  formatTraceparent,
  parseTraceparent,
  parseTraceparentExact,
} from "../../../src/shared/traceparent.js";
import { extractTraceparent, extractTracestate } from "../../../src/tracing/message-trace-headers.js";
import { ownTable } from "../amqp-fixtures.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID = "00f067aa0ba902b7";
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: length, maxLength: length });

describe("parseTraceparent (W3C Trace Context)", () => {
  it("reads version 00: ids and the sampled flag", () => {
    assert.deepEqual(parseTraceparent(VALID), { traceId: TRACE_ID, spanId: SPAN_ID, sampled: true });
    assert.equal(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-00`)?.sampled, false);
    assert.equal(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-03`)?.sampled, true, "other flags are ignored");
    assert.equal(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-02`)?.sampled, false);
  });

  const invalid: [string, string][] = [
    ["empty", ""],
    ["uppercase hex in the trace id", VALID.toUpperCase()],
    ["uppercase flags", `00-${TRACE_ID}-${SPAN_ID}-0A`],
    ["all-zero trace id", `00-${"0".repeat(32)}-${SPAN_ID}-01`],
    ["all-zero span id", `00-${TRACE_ID}-${"0".repeat(16)}-01`],
    ["version ff", `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ["version 00 with more after it", `${VALID}-extra`],
    ["version 00 one character longer", `${VALID}0`],
    ["one character short", VALID.slice(0, 54)],
    ["a non-hex version", `0g-${TRACE_ID}-${SPAN_ID}-01`],
    ["a short trace id", `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01-`],
    ["underscores for dashes", VALID.replaceAll("-", "_")],
    ["a non-hex flag", `00-${TRACE_ID}-${SPAN_ID}-0x`],
    ["a later version going on without a dash", `01-${TRACE_ID}-${SPAN_ID}-01x`],
  ];
  for (const [what, value] of invalid) {
    it(`ignores ${what}`, () => assert.equal(parseTraceparent(value), undefined));
  }

  it("reads a later version by its first 55 characters (then a dash, or nothing)", () => {
    assert.deepEqual(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-01`)?.traceId, TRACE_ID);
    assert.deepEqual(parseTraceparent(`cc-${TRACE_ID}-${SPAN_ID}-01-what-the-future-adds`), {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      sampled: true,
    });
  });

  it("allows spaces and tabs around the value, not inside it", () => {
    assert.equal(parseTraceparent(` \t${VALID}\t `)?.spanId, SPAN_ID);
    assert.equal(parseTraceparentExact(` ${VALID}`), undefined);
    assert.equal(parseTraceparent(VALID.replace("-", " -")), undefined);
  });

  it("formats version 00 and reads back what it formats", () => {
    fc.assert(
      fc.property(hex(32), hex(16), fc.boolean(), (traceId, spanId, sampled) => {
        fc.pre(/[1-9a-f]/.test(traceId) && /[1-9a-f]/.test(spanId));
        const value = formatTraceparent(traceId, spanId, sampled);
        assert.equal(value.length, 55);
        assert.deepEqual(parseTraceparent(value), { traceId, spanId, sampled });
      }),
    );
  });

  it("never throws, and only accepts well-formed values", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^[0-9a-f]{2}-[0-9a-fA-F-]{50,60}$/)),
        (value) => {
          const parsed = parseTraceparent(value);
          if (parsed !== undefined) {
            assert.match(parsed.traceId, /^[0-9a-f]{32}$/);
            assert.match(parsed.spanId, /^[0-9a-f]{16}$/);
            assert.match(value.trim(), /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.*)?$/);
          }
        },
      ),
    );
  });
});

describe("trace context from a message's AMQP headers", () => {
  it("reads a string or bytes value", () => {
    assert.equal(extractTraceparent({ traceparent: VALID })?.traceId, TRACE_ID);
    assert.equal(extractTraceparent({ traceparent: Buffer.from(VALID) })?.traceId, TRACE_ID);
    const inLargerBuffer = Buffer.from(`xxx${VALID}yyy`).subarray(3, 58);
    assert.equal(
      extractTraceparent({ traceparent: inLargerBuffer })?.spanId,
      SPAN_ID,
      "a view into a larger buffer",
    );
    assert.equal(extractTraceparent({ traceparent: new Uint8Array(Buffer.from(VALID)) })?.spanId, SPAN_ID);
  });

  it("applies the version rules to bytes as to strings, reading only the first 56 bytes", () => {
    assert.equal(
      extractTraceparent({ traceparent: Buffer.from(`${VALID}-x`) }),
      undefined,
      "version 00 is exactly 55",
    );
    const later = `02-${TRACE_ID}-${SPAN_ID}-01-${"z".repeat(100_000)}`;
    assert.equal(extractTraceparent({ traceparent: Buffer.from(later) })?.traceId, TRACE_ID);
    assert.equal(extractTraceparent({ traceparent: Buffer.from(later.replace("01-z", "01z")) }), undefined);
  });

  it("ignores absent headers, other types, inherited keys and malformed values", () => {
    for (const headers of [
      undefined,
      null,
      {},
      { traceparent: 42 },
      { traceparent: [VALID] },
      { traceparent: { bytes: [...Buffer.from(VALID)] } },
      { traceparent: VALID.toUpperCase() },
      { Traceparent: VALID },
      ownTable([["__proto__", { traceparent: VALID }]]),
      Object.create({ traceparent: VALID }),
    ]) {
      assert.equal(extractTraceparent(headers), undefined, JSON.stringify(headers));
    }
  });

  it("reads tracestate as a string or bytes, trimmed; malformed or oversized is ignored", () => {
    assert.equal(
      extractTracestate({ tracestate: "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7" }),
      "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
    );
    assert.equal(extractTracestate({ tracestate: Buffer.from("a=1") }), "a=1");
    assert.equal(extractTracestate({ tracestate: "not a member" }), undefined);
    assert.equal(extractTracestate({ tracestate: Buffer.alloc(30_000, "a") }), undefined);
    assert.equal(extractTracestate({ tracestate: 7 }), undefined);
    assert.equal(extractTracestate({}), undefined);
  });

  it("never throws on hostile header tables", () => {
    const value = fc.oneof(
      fc.string({ maxLength: 70 }),
      fc.uint8Array({ maxLength: 70 }).map((bytes) => Buffer.from(bytes)),
      fc.constant(VALID),
      fc.constant(Buffer.from(VALID)),
      fc.anything(),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom("traceparent", "tracestate", "__proto__", "x"), value),
        (headers) => {
          const context = extractTraceparent(headers);
          if (context) assert.match(context.traceId, /^[0-9a-f]{32}$/);
          const state = extractTracestate(headers);
          if (state !== undefined) assert.ok(state.length <= 512);
        },
      ),
    );
  });
});
