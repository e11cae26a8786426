import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  parseTracestate,
  TRACESTATE_MAX_MEMBERS,
  TRACESTATE_TARGET_CHARS,
  trimTracestate,
  trimTracestateMembers,
} from "../../../src/tracing/tracestate.js";

/** `key=value` of exactly `length` characters. */
const member = (key: string, length: number) => `${key}=${"v".repeat(length - key.length - 1)}`;

describe("tracestate: parsing (W3C list members)", () => {
  it("keeps valid members in order, without white space or empty members", () => {
    assert.deepEqual(parseTracestate(" rojo=00f067aa0ba902b7 ,\t,congo=t61rcWkgMzE,, "), [
      "rojo=00f067aa0ba902b7",
      "congo=t61rcWkgMzE",
    ]);
    assert.deepEqual(parseTracestate("tenant@vendor=x,a_b-c*d/e=1"), ["tenant@vendor=x", "a_b-c*d/e=1"]);
    assert.deepEqual(parseTracestate("k=value with inner spaces"), ["k=value with inner spaces"]);
    assert.deepEqual(parseTracestate(""), []);
  });

  const invalid: [string, string][] = [
    ["an uppercase key", "Rojo=1"],
    ["a key starting with a digit (not multi-tenant)", "1abc=1"],
    ["a missing value", "rojo="],
    ["no equals sign", "rojo"],
    ["a comma-free = in the value", "rojo=a=b"],
    ["a tab inside a value", "rojo=a\tb"],
    ["a non-ASCII value", "rojo=café"],
    ["a repeated key", "a=1,b=2,a=3"],
    ["a system id longer than 14 characters", `t@${"s".repeat(15)}=1`],
    ["a key longer than 256 characters", `${"k".repeat(257)}=1`],
    ["a value longer than 256 characters", `k=${"v".repeat(257)}`],
    ["one bad member among good ones", "a=1,B=2,c=3"],
  ];
  for (const [what, raw] of invalid) {
    it(`rejects the whole value for ${what}`, () => {
      assert.equal(parseTracestate(raw), undefined);
      assert.equal(trimTracestate(raw), undefined);
    });
  }

  it("does not read a value longer than any valid one", () => {
    assert.equal(parseTracestate(`a=${"v".repeat(255)},`.repeat(100)), undefined);
  });
});

describe("tracestate: trimming (whole members, from the end; 32 members, 512 characters)", () => {
  it("leaves a value within the limits as it is", () => {
    const members = Array.from({ length: 32 }, (_, i) => member(`k${i}`, 15));
    assert.equal(trimTracestate(members.join(",")), members.join(","));
    assert.equal(members.join(",").length, 32 * 16 - 1);
  });

  it("keeps the first 32 members", () => {
    const members = Array.from({ length: 40 }, (_, i) => `k${i}=1`);
    assert.deepEqual(trimTracestateMembers(members), members.slice(0, 32));
  });

  it("drops members over 128 characters first, from the end, while the list is over 512", () => {
    const small = Array.from({ length: 8 }, (_, i) => member(`s${i}`, 40));
    const [big1, big2, big3] = [member("big1", 150), member("big2", 200), member("big3", 129)];
    const list = [small[0], big1, small[1], big2, ...small.slice(2), big3] as string[];
    assert.equal(list.join(",").length, 8 * 40 + 150 + 200 + 129 + 10);
    // Without big3: 679 characters, still too long; without big2 as well: 478, and big1 stays.
    assert.deepEqual(trimTracestateMembers(list), [small[0], big1, small[1], ...small.slice(2)]);
  });

  it("then drops members from the end until 512 characters", () => {
    const members = Array.from({ length: 20 }, (_, i) => member(`k${i}`, 100));
    const kept = trimTracestateMembers(members);
    assert.deepEqual(kept, members.slice(0, 5), "5 × 100 + 4 commas = 504");
  });

  it("a 4 KB tracestate comes out at most 512 characters, a prefix of whole members", () => {
    const members = Array.from({ length: 32 }, (_, i) => member(`vendor${i}`, 127));
    const raw = members.join(",");
    assert.ok(raw.length > 4000);
    const trimmed = trimTracestate(raw) as string;
    assert.ok(trimmed.length <= 512, `${trimmed.length}`);
    assert.deepEqual(trimmed.split(","), members.slice(0, 4));
  });

  it("whatever it keeps is valid, within the limits, and an in-order subset", () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9_*/-]{0,20}$/);
    const value = fc.stringMatching(/^[!-+\--<>-~]{1,300}$/).map((v) => v.slice(0, 256));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength: 50 }), (pairs) => {
        const members = pairs.map(([k, v]) => `${k}=${v}`);
        const trimmed = trimTracestate(members.join(","));
        if (trimmed === undefined) return assert.equal(members.length, 0, "a valid first member always fits");
        const kept = trimmed.split(",");
        assert.ok(trimmed.length <= TRACESTATE_TARGET_CHARS);
        assert.ok(kept.length <= TRACESTATE_MAX_MEMBERS);
        let from = 0;
        for (const entry of kept) {
          const at = members.indexOf(entry, from);
          assert.ok(at >= from, `${entry} out of order or invented`);
          from = at + 1;
        }
        assert.deepEqual(parseTracestate(trimmed), kept);
      }),
    );
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (raw) => {
        const trimmed = trimTracestate(raw);
        if (trimmed !== undefined) assert.ok(trimmed.length <= TRACESTATE_TARGET_CHARS);
      }),
    );
  });
});
