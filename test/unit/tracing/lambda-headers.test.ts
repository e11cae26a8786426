import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { callHeaders } from "../../../src/tracing/call-headers.js";
import { CLIENT_CONTEXT_LIMIT_BYTES, clientContextHeader } from "../../../src/tracing/client-context.js";
import { xrayCompatibleTraceId } from "../../../src/tracing/trace-ids.js";
import { trimTracestate } from "../../../src/tracing/tracestate.js";
import {
  isPlausibleXRayEpoch,
  XRAY_MAX_AGE_MS,
  XRAY_MAX_AHEAD_MS,
  xrayTraceHeader,
} from "../../../src/tracing/xray-trace-header.js";

const NOW = Date.parse("2026-11-27T12:00:00Z");
const SPAN_ID = "00f067aa0ba902b7";
const TRACEPARENT = `00-4bf92f3577b34da6a3ce929d0e0e4736-${SPAN_ID}-01`;
/** A trace id whose first 8 hex digits are `ms` in seconds. */
const traceIdAt = (ms: number) =>
  `${Math.floor(ms / 1000)
    .toString(16)
    .padStart(8, "0")}a3ce929d0e0e4736a3ce929d`;
const decode = (value: string) => JSON.parse(Buffer.from(value, "base64").toString("utf8"));

describe("X-Amzn-Trace-Id", () => {
  it("rewrites the W3C ids in X-Ray's form", () => {
    const traceId = traceIdAt(NOW);
    assert.equal(
      xrayTraceHeader(traceId, SPAN_ID, true, NOW),
      `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${SPAN_ID};Sampled=1`,
    );
    assert.match(xrayTraceHeader(traceId, SPAN_ID, false, NOW) ?? "", /;Sampled=0$/);
    assert.match(
      xrayTraceHeader(traceId, SPAN_ID, true, NOW) ?? "",
      /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01]$/,
    );
  });

  it("is sent only for a trace id time within [now − 30 days, now + 5 minutes]", () => {
    const oldest = Math.ceil((NOW - XRAY_MAX_AGE_MS) / 1000) * 1000;
    const newest = Math.floor((NOW + XRAY_MAX_AHEAD_MS) / 1000) * 1000;
    assert.equal(isPlausibleXRayEpoch(traceIdAt(oldest), NOW), true, "30 days old");
    assert.equal(isPlausibleXRayEpoch(traceIdAt(oldest - 1000), NOW), false, "a second older");
    assert.equal(isPlausibleXRayEpoch(traceIdAt(newest), NOW), true, "5 minutes ahead");
    assert.equal(isPlausibleXRayEpoch(traceIdAt(newest + 1000), NOW), false, "a second further");
    assert.equal(
      isPlausibleXRayEpoch("4bf92f3577b34da6a3ce929d0e0e4736", NOW),
      false,
      "a random W3C id (year 2010)",
    );
    assert.equal(isPlausibleXRayEpoch("ffffffff77b34da6a3ce929d0e0e4736", NOW), false);
    assert.equal(xrayTraceHeader(traceIdAt(oldest - 1000), SPAN_ID, true, NOW), undefined);
  });

  it("trace ids the agent generates are X-Ray roots", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse("2020-01-01"), max: Date.parse("2100-01-01") }), (now) => {
        const id = xrayCompatibleTraceId(now);
        assert.match(id, /^[0-9a-f]{32}$/);
        assert.ok(isPlausibleXRayEpoch(id, now));
      }),
    );
  });
});

describe("X-Amz-Client-Context (base64 at most 3,583 bytes)", () => {
  it("carries traceparent and tracestate in custom", () => {
    const { value, dropped } = clientContextHeader(TRACEPARENT, "rojo=00f067aa0ba902b7");
    assert.equal(dropped, undefined);
    assert.deepEqual(decode(value as string), {
      custom: { traceparent: TRACEPARENT, tracestate: "rojo=00f067aa0ba902b7" },
    });
    assert.deepEqual(decode(clientContextHeader(TRACEPARENT, undefined).value as string), {
      custom: { traceparent: TRACEPARENT },
    });
  });

  it("drops tracestate first when the header would be too long, then the whole context", () => {
    const long = `k=${"v".repeat(255)}`;
    const withState = clientContextHeader(TRACEPARENT, long, 300);
    assert.equal(withState.dropped, "tracestate");
    assert.deepEqual(decode(withState.value as string), { custom: { traceparent: TRACEPARENT } });
    assert.deepEqual(clientContextHeader(TRACEPARENT, long, 100), { value: undefined, dropped: "context" });
    assert.deepEqual(clientContextHeader(TRACEPARENT, undefined, 100), {
      value: undefined,
      dropped: "context",
    });
  });

  it("encodes text beyond ASCII as UTF-8", () => {
    const { value } = clientContextHeader(TRACEPARENT, 'k=café "ü" ✓');
    assert.equal(decode(value as string).custom.tracestate, 'k=café "ü" ✓');
  });

  it("an untrimmed 4 KB tracestate is dropped at the real limit, the traceparent kept", () => {
    const raw = Array.from({ length: 32 }, (_, i) => `vendor${i}=${"v".repeat(120)}`).join(",");
    assert.ok(raw.length > 4000);
    const { value, dropped } = clientContextHeader(TRACEPARENT, raw);
    assert.equal(dropped, "tracestate");
    assert.ok((value as string).length <= CLIENT_CONTEXT_LIMIT_BYTES);
    assert.deepEqual(decode(value as string).custom, { traceparent: TRACEPARENT });
  });

  it("a 4 KB tracestate, trimmed as forwarded, fits with nothing dropped", () => {
    const raw = Array.from({ length: 32 }, (_, i) => `vendor${i}=${"v".repeat(120)}`).join(",");
    const { value, dropped } = clientContextHeader(TRACEPARENT, trimTracestate(raw));
    assert.equal(dropped, undefined);
    assert.ok((value as string).length <= CLIENT_CONTEXT_LIMIT_BYTES);
    assert.equal(decode(value as string).custom.tracestate.split(",").length, 3);
  });

  it("is never longer than the limit, whatever the tracestate (escaping included)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 6000 }), fc.string({ unit: "binary", maxLength: 2000 })),
        fc.integer({ min: 0, max: 5000 }),
        (state, limit) => {
          const { value, dropped } = clientContextHeader(TRACEPARENT, state, limit);
          if (value !== undefined) assert.ok(value.length <= limit);
          else assert.equal(dropped, "context");
          if (value !== undefined && dropped === undefined)
            assert.equal(decode(value).custom.tracestate, state);
        },
      ),
    );
  });
});

describe("headers of one call", () => {
  const context = { traceId: traceIdAt(NOW), spanId: SPAN_ID, sampled: true, tracestate: "a=1" };

  it("Lambda: client context, and X-Ray when the trace id is plausible", () => {
    const { headers, dropped } = callHeaders("lambda", context, NOW);
    assert.equal(dropped, undefined);
    assert.deepEqual(Object.keys(headers ?? {}).sort(), ["X-Amz-Client-Context", "X-Amzn-Trace-Id"]);
    assert.equal(
      decode(headers?.["X-Amz-Client-Context"] as string).custom.traceparent,
      `00-${context.traceId}-${SPAN_ID}-01`,
    );
    const random = callHeaders("lambda", { ...context, traceId: "4bf92f3577b34da6a3ce929d0e0e4736" }, NOW);
    assert.deepEqual(Object.keys(random.headers ?? {}), ["X-Amz-Client-Context"]);
  });

  it("HTTP: traceparent and tracestate", () => {
    assert.deepEqual(callHeaders("http", context, NOW).headers, {
      traceparent: `00-${context.traceId}-${SPAN_ID}-01`,
      tracestate: "a=1",
    });
    assert.deepEqual(
      callHeaders("http", { ...context, sampled: false, tracestate: undefined }, NOW).headers,
      {
        traceparent: `00-${context.traceId}-${SPAN_ID}-00`,
      },
    );
  });
});
