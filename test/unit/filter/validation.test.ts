import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../../src/errors.js";
import {
  compileFilterPatterns,
  FilterPatternError,
  MAX_PATTERN_DEPTH,
  MAX_PATTERN_VALUES,
} from "../../../src/filter/index.js";

/** Compiles patterns that must be rejected, and returns the error. */
function rejection(patterns: unknown): FilterPatternError {
  try {
    compileFilterPatterns(patterns);
  } catch (error) {
    assert.ok(error instanceof FilterPatternError, `expected a FilterPatternError, got ${String(error)}`);
    return error;
  }
  assert.fail("the patterns were accepted");
}

const onBody = (fields: Record<string, unknown>) => [{ data: fields }];
const onX = (...items: unknown[]) => onBody({ x: items });

/** [what is wrong, patterns, the path of the error, what its message says]. */
const cases: Array<[string, unknown, string, RegExp]> = [
  ["not a list", { data: {} }, "", /expected a list of patterns; got an object/],
  ["an empty list", [], "", /at least one pattern/],
  ["a pattern given as JSON text", ['{"data": {}}'], "[0]", /not as JSON text/],
  ["a pattern that is null", [null], "[0]", /expected a pattern object; got null/],
  ["an empty pattern", [{}], "[0]", /at least one field/],
  [
    "an unknown message field",
    [{ dat: { x: [1] } }],
    "[0].dat",
    /unknown message field "dat"; expected one of data, basicProperties/,
  ],
  [
    "a leaf that is not a list",
    [{ routingKey: ["a"] }, { basicProperties: { headers: { tenant: "acme" } } }],
    "[1].basicProperties.headers.tenant",
    /expected a list of values or operators.*got a string/,
  ],
  [
    "an operator outside a list",
    onBody({ prefix: "abc" }),
    "[0].data.prefix",
    /an operator goes inside the field's list/,
  ],
  ["an empty leaf list", onBody({ x: [] }), "[0].data.x", /at least one value or operator/],
  ["an empty nested object", onBody({ x: {} }), "[0].data.x", /at least one field/],
  ["a key that needs quoting", onBody({ "my key": "v" }), '[0].data["my key"]', /expected a list/],
  ["a list inside a leaf list", onX("a", ["b"]), "[0].data.x[1]", /got a list/],
  ["a non-finite number", onX(Number.POSITIVE_INFINITY), "[0].data.x[0]", /got a non-finite number/],
  [
    "an unknown operator",
    onBody({ amount: [{ numerc: [">", 1] }] }),
    "[0].data.amount[0]",
    /unknown operator "numerc"; expected one of prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard/,
  ],
  [
    "two operators in one object",
    onX({ prefix: "a", suffix: "b" }),
    "[0].data.x[0]",
    /exactly one operator; this one has 2 keys/,
  ],
  ["an empty operator object", onX({}), "[0].data.x[0]", /exactly one operator; this one has 0 keys/],
  ["cidr", onX({ cidr: "10.0.0.0/24" }), "[0].data.x[0].cidr", /"cidr" is not supported/],
  [
    "a prefix that is a number",
    onX({ prefix: 5 }),
    "[0].data.x[0].prefix",
    /expected a string or \{"equals-ignore-case"/,
  ],
  [
    "a prefix with a bad case option",
    onX({ prefix: { "equals-ignore-case": 5 } }),
    "[0].data.x[0].prefix",
    /expected a string/,
  ],
  [
    "a prefix with an unknown option",
    onX({ prefix: { wildcard: "a*" } }),
    "[0].data.x[0].prefix",
    /expected a string/,
  ],
  ["a suffix that is a list", onX({ suffix: [".png"] }), "[0].data.x[0].suffix", /got a list/],
  [
    "equals-ignore-case on a number",
    onX({ "equals-ignore-case": 1 }),
    '[0].data.x[0]["equals-ignore-case"]',
    /expected a string/,
  ],
  ["two stars in a row", onX({ wildcard: "a**b" }), "[0].data.x[0].wildcard", /two "\*" in a row/],
  ["a backslash escaping a letter", onX({ wildcard: "a\\b" }), "[0].data.x[0].wildcard", /escapes only/],
  ["a trailing backslash", onX({ wildcard: "a\\" }), "[0].data.x[0].wildcard", /escapes only/],
  [
    "exists that is not a boolean",
    onX({ exists: "yes" }),
    "[0].data.x[0].exists",
    /expected true or false; got a string/,
  ],
  ["numeric that is not a list", onX({ numeric: 5 }), "[0].data.x[0].numeric", /expected \["=", n\]/],
  ["numeric of three items", onX({ numeric: [">", 1, "<"] }), "[0].data.x[0].numeric", /got a list of 3/],
  ["an unknown comparison", onX({ numeric: ["==", 1] }), "[0].data.x[0].numeric[0]", /comparison operator/],
  ["= inside a range", onX({ numeric: ["=", 1, "<", 2] }), "[0].data.x[0].numeric[0]", /"=" stands alone/],
  [
    "a range starting with its upper bound",
    onX({ numeric: ["<", 5, ">", 0] }),
    "[0].data.x[0].numeric[0]",
    /starts with its lower bound/,
  ],
  [
    "a range ending with a lower bound",
    onX({ numeric: [">", 0, ">=", 5] }),
    "[0].data.x[0].numeric[2]",
    /ends with its upper bound/,
  ],
  [
    "a bound that is a string",
    onX({ numeric: [">", "0"] }),
    "[0].data.x[0].numeric[1]",
    /expected a number after ">"; got a string/,
  ],
  [
    "an empty range",
    onX({ numeric: [">", 5, "<", 5] }),
    "[0].data.x[0].numeric[3]",
    /greater than the lower bound/,
  ],
  ["anything-but a boolean", onX({ "anything-but": true }), '[0].data.x[0]["anything-but"]', /got a boolean/],
  ["anything-but null", onX({ "anything-but": null }), '[0].data.x[0]["anything-but"]', /got null/],
  [
    "anything-but an empty list",
    onX({ "anything-but": [] }),
    '[0].data.x[0]["anything-but"]',
    /at least one value/,
  ],
  [
    "anything-but a mixed list",
    onX({ "anything-but": ["a", 1] }),
    '[0].data.x[0]["anything-but"][1]',
    /only strings or only numbers/,
  ],
  [
    "anything-but a list with null",
    onX({ "anything-but": ["a", null] }),
    '[0].data.x[0]["anything-but"][1]',
    /strings or numbers only; got null/,
  ],
  [
    "anything-but numeric",
    onX({ "anything-but": { numeric: [">", 1] } }),
    '[0].data.x[0]["anything-but"]',
    /unknown anything-but operator "numeric"/,
  ],
  [
    "anything-but two operators",
    onX({ "anything-but": { prefix: "a", suffix: "b" } }),
    '[0].data.x[0]["anything-but"]',
    /got 2 keys/,
  ],
  [
    "anything-but a numeric prefix",
    onX({ "anything-but": { prefix: 1 } }),
    '[0].data.x[0]["anything-but"].prefix',
    /expected a string or a non-empty list/,
  ],
  [
    "anything-but an empty prefix list",
    onX({ "anything-but": { suffix: [] } }),
    '[0].data.x[0]["anything-but"].suffix',
    /got an empty list/,
  ],
  [
    "anything-but a prefix list with a number",
    onX({ "anything-but": { prefix: ["a", 1] } }),
    '[0].data.x[0]["anything-but"].prefix[1]',
    /expected a string; got a number/,
  ],
  [
    "anything-but a bad wildcard",
    onX({ "anything-but": { wildcard: ["*ok", "**"] } }),
    '[0].data.x[0]["anything-but"].wildcard[1]',
    /two "\*" in a row/,
  ],
  [
    "$or that is not a list",
    [{ $or: { routingKey: ["a"] } }],
    "[0].$or",
    /at least two pattern objects; got an object/,
  ],
  ["$or with one alternative", [{ $or: [{ routingKey: ["a"] }] }], "[0].$or", /got a list of 1/],
  [
    "$or with a non-object",
    [{ $or: [{ routingKey: ["a"] }, ["b"]] }],
    "[0].$or[1]",
    /expected a pattern object in "\$or"; got a list/,
  ],
  [
    "an unknown field inside a top-level $or",
    [{ $or: [{ routingKey: ["a"] }, { body: [1] }] }],
    "[0].$or[1].body",
    /unknown message field "body"/,
  ],
  [
    "a bad operator inside a nested $or",
    onBody({ $or: [{ a: [1] }, { b: [{ exists: 1 }] }] }),
    "[0].data.$or[1].b[0].exists",
    /expected true or false/,
  ],
];

describe("invalid patterns", () => {
  for (const [name, patterns, path, message] of cases) {
    it(`${name}: rejected at "${path}"`, () => {
      const error = rejection(patterns);
      assert.equal(error.path, path);
      assert.match(error.message, message);
    });
  }
});

describe("pattern limits", () => {
  it(`rejects objects nested more than ${MAX_PATTERN_DEPTH} deep`, () => {
    let pattern: Record<string, unknown> = { leaf: [1] };
    for (let level = 0; level < MAX_PATTERN_DEPTH; level++) pattern = { a: pattern };
    const error = rejection([{ data: pattern }]);
    assert.match(error.message, /nest at most 10 objects deep/);
    assert.equal(error.path, `[0]${".data"}${".a".repeat(MAX_PATTERN_DEPTH - 1)}`);
  });

  it(`accepts objects nested exactly ${MAX_PATTERN_DEPTH} deep`, () => {
    let pattern: Record<string, unknown> = { leaf: [1] };
    for (let level = 0; level < MAX_PATTERN_DEPTH - 2; level++) pattern = { a: pattern };
    assert.doesNotThrow(() => compileFilterPatterns([{ data: pattern }]));
  });

  it("counts $or alternatives as levels", () => {
    let pattern: Record<string, unknown> = { leaf: [1] };
    for (let level = 0; level < MAX_PATTERN_DEPTH; level++) pattern = { $or: [pattern, { other: [1] }] };
    assert.match(rejection([{ data: pattern }]).message, /nest at most/);
  });

  it(`rejects more than ${MAX_PATTERN_VALUES} values in one list`, () => {
    const values = Array.from({ length: MAX_PATTERN_VALUES + 1 }, (_, index) => index);
    const error = rejection([{ data: { x: values } }]);
    assert.equal(error.path, `[0].data.x[${MAX_PATTERN_VALUES}]`);
    assert.match(error.message, /at most 1000 values and operators in all/);
  });

  it("counts values over all patterns, anything-but lists included", () => {
    const half = Array.from({ length: 600 }, (_, index) => `v${index}`);
    const error = rejection([{ data: { x: half } }, { data: { y: [{ "anything-but": half }] } }]);
    assert.match(error.path, /^\[1\]\.data\.y\[0\]\["anything-but"\]\[\d+\]$/);
    assert.doesNotThrow(() =>
      compileFilterPatterns([{ data: { x: half.slice(0, 500) } }, { data: { y: half.slice(0, 499) } }]),
    );
  });
});

describe("FilterPatternError", () => {
  it("is a configuration error with the path in its message and the fix apart from it", () => {
    const error = rejection([{ data: { x: [{ exists: 1 }] } }]);
    assert.ok(error instanceof ConfigError);
    assert.equal(error.code, "CONFIG_INVALID");
    assert.equal(error.name, "FilterPatternError");
    assert.equal(error.detail, "expected true or false; got a number");
    assert.equal(error.message, `[0].data.x[0].exists: ${error.detail}`);
  });
});
