import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compileFilterPatterns, type FilterInput } from "../../../src/filter/index.js";
import { parseWildcard, wildcardTest } from "../../../src/filter/wildcard.js";
import { bodyMatches, message } from "./filter-fixtures.js";

const SPECIAL_KEYS = ["__proto__", "constructor", "toString", "prototype", "valueOf", "hasOwnProperty"];

describe("keys that name Object.prototype members", () => {
  it("are ordinary fields in patterns and in events (JSON.parse keeps __proto__ as an own key)", () => {
    const filter = compileFilterPatterns(
      JSON.parse('[{"data": {"__proto__": ["x"], "constructor": {"name": ["n"]}}}]'),
    );
    assert.equal(
      filter.matches(message({ data: JSON.parse('{"__proto__": "x", "constructor": {"name": "n"}}') })),
      true,
    );
    assert.equal(filter.matches(message({ data: {} })), false);
    assert.equal(
      filter.matches(message({ data: JSON.parse('{"__proto__": "y", "constructor": {"name": "n"}}') })),
      false,
    );
  });

  it("are absent unless the event has them as its own", () => {
    for (const key of SPECIAL_KEYS) {
      assert.equal(bodyMatches({ [key]: [{ exists: false }] }, {}), true, key);
      assert.equal(bodyMatches({ [key]: [{ exists: true }] }, {}), false, key);
      assert.equal(bodyMatches({ [key]: [{ "anything-but": "x" }] }, {}), false, key);
      assert.equal(bodyMatches({ [key]: { name: [{ exists: true }] } }, {}), false, key);
    }
  });

  it("do not reach Object.prototype through a __proto__ object in the event", () => {
    const data = JSON.parse('{"__proto__": {"polluted": "yes"}}');
    assert.throws(
      () => compileFilterPatterns([{ data: { __proto__: { polluted: ["yes"] } } }]),
      /got an object that is not plain JSON/,
      "a __proto__ in an object literal sets the prototype; it names no field",
    );
    const filter = compileFilterPatterns(JSON.parse('[{"data": {"__proto__": {"polluted": ["yes"]}}}]'));
    assert.equal(filter.matches(message({ data })), true);
    assert.equal(Object.hasOwn(Object.prototype, "polluted"), false);
  });
});

describe("deep and odd inputs", () => {
  it("search deeply nested lists without recursion", () => {
    let nested: unknown = 7;
    for (let level = 0; level < 200_000; level++) nested = [nested];
    assert.equal(bodyMatches({ x: [7] }, { x: nested }), true);
    assert.equal(bodyMatches({ x: [{ exists: true }] }, { x: nested }), true);
  });

  it("descend no deeper than the pattern into deeply nested objects", () => {
    let nested: Record<string, unknown> = { end: true };
    for (let level = 0; level < 200_000; level++) nested = { a: nested };
    assert.equal(bodyMatches({ a: { a: [{ exists: false }] } }, nested), true);
  });

  it("end on a list that contains itself", () => {
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    assert.equal(bodyMatches({ x: [2] }, { x: cyclic }), false);
    assert.equal(bodyMatches({ x: [1] }, { x: cyclic }), true);
  });

  it("match wildcards in linear time on inputs that make backtracking explode", () => {
    const started = performance.now();
    const text = "a".repeat(100_000);
    assert.equal(bodyMatches({ x: [{ wildcard: "*a*a*a*a*a*a*a*a*a*a*b" }] }, { x: text }), false);
    assert.equal(bodyMatches({ x: [{ wildcard: "a*a*a*a*a*a*a*a*a*a*a" }] }, { x: text }), true);
    assert.ok(performance.now() - started < 2000, "wildcard matching took too long");
  });
});

/** JSON-ish values (and a few non-JSON ones) whose keys favour the names patterns use. */
const hostileValue = fc.anything({
  key: fc.constantFrom("x", "a", "b", "detail", "state", "__proto__", ...SPECIAL_KEYS),
  maxDepth: 4,
  withNullPrototype: true,
  withBoxedValues: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
  withBigInt: true,
  withMap: true,
  withSet: true,
});

const validPatterns: unknown[][] = [
  [{ data: { x: ["a", 1, true, null] } }],
  [{ data: { x: [{ prefix: "a" }, { suffix: { "equals-ignore-case": "B" } }, { wildcard: "*a*b" }] } }],
  [
    {
      data: {
        x: [{ "anything-but": ["a", "b"] }, { "anything-but": { prefix: ["a"] } }, { "anything-but": 3 }],
      },
    },
  ],
  [{ data: { x: [{ numeric: [">", 0, "<=", 5] }, { exists: false }], a: [{ exists: true }] } }],
  // `__proto__` as a field name: an object literal would set the prototype instead, so parse JSON.
  JSON.parse(
    '[{"data": {"detail": {"state": [{"equals-ignore-case": "x"}], "__proto__": {"a": [{"exists": false}]}}}}]',
  ),
  [
    {
      $or: [
        { data: { a: { b: [1] } } },
        { basicProperties: { headers: { constructor: [{ exists: true }] } } },
      ],
    },
  ],
  JSON.parse('[{"data": {"__proto__": ["x"], "constructor": {"prototype": [{"exists": false}]}}}]'),
];

describe("matching arbitrary inputs", () => {
  const filters = validPatterns.map((patterns) => compileFilterPatterns(patterns));

  it("never throws and always answers a boolean", () => {
    fc.assert(
      fc.property(hostileValue, hostileValue, fc.boolean(), (data, headers, hasData) => {
        const input: FilterInput = {
          ...message({ basicProperties: { headers } }),
          ...(hasData ? { data } : {}),
        };
        for (const filter of filters) assert.equal(typeof filter.matches(input), "boolean");
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on inputs shaped like the patterns", () => {
    const shaped = fc.record(
      { x: hostileValue, a: hostileValue, detail: hostileValue },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(shaped, (data) => {
        for (const filter of filters) assert.equal(typeof filter.matches(message({ data })), "boolean");
      }),
      { numRuns: 500 },
    );
  });
});

describe("wildcard matching", () => {
  const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  it("agrees with an anchored regular expression over the same literal parts", () => {
    const patternText = fc
      .string({ unit: fc.constantFrom("a", "b", "*"), maxLength: 8 })
      .filter((p) => !p.includes("**"));
    const text = fc.string({ unit: fc.constantFrom("a", "b"), maxLength: 10 });
    fc.assert(
      fc.property(patternText, text, (pattern, candidate) => {
        const parsed = parseWildcard(pattern);
        assert.ok("parts" in parsed);
        const reference = new RegExp(`^${parsed.parts.map(escapeRegExp).join(".*")}$`, "s");
        assert.equal(wildcardTest(parsed.parts)(candidate), reference.test(candidate));
      }),
      { numRuns: 2000 },
    );
  });
});
