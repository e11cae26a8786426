import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fieldMatches, MISSING } from "./filter-fixtures.js";

/** One leaf list for the body field `x`, with values of `x` it must match and must not match. */
interface OperatorCase {
  name: string;
  leafList: unknown[];
  matching: unknown[];
  notMatching: unknown[];
}

const label = (value: unknown): string => (value === MISSING ? "a missing field" : JSON.stringify(value));

const cases: OperatorCase[] = [
  {
    name: "exact string",
    leafList: ["abc"],
    matching: ["abc", ["zzz", "abc"]],
    notMatching: ["ABC", "abcd", "", 5, null, true, MISSING, { abc: 1 }, ["zzz"], []],
  },
  { name: "exact empty string", leafList: [""], matching: [""], notMatching: [null, MISSING, " ", 0, false] },
  {
    name: "exact number (compared numerically)",
    leafList: [5],
    matching: [5, JSON.parse("5.0"), JSON.parse("5e0"), [1, 5]],
    notMatching: ["5", 5.1, -5, MISSING, null, [1, 2]],
  },
  {
    name: "exact negative float",
    leafList: [-1.5],
    matching: [-1.5, JSON.parse("-15e-1")],
    notMatching: [1.5, "-1.5"],
  },
  {
    name: "exact boolean",
    leafList: [true],
    matching: [true, [false, true]],
    notMatching: ["true", 1, false, null],
  },
  {
    name: "exact null",
    leafList: [null],
    matching: [null, ["a", null]],
    notMatching: ["", "null", 0, false, MISSING],
  },
  {
    name: "several exact values (OR)",
    leafList: ["a", 1, false],
    matching: ["a", 1, false],
    notMatching: ["1", true, "b", 2],
  },
  {
    name: "prefix",
    leafList: [{ prefix: "abc" }],
    matching: ["abc", "abcdef", ["x", "abcx"]],
    notMatching: ["ab", "xabc", "ABC", 5, null, MISSING],
  },
  {
    name: "prefix ignoring case",
    leafList: [{ prefix: { "equals-ignore-case": "EventB" } }],
    matching: ["EventBridge", "EVENTBRIDGE", "eventb", "eventBus"],
    notMatching: ["event", "xEventB", 7],
  },
  {
    name: "suffix",
    leafList: [{ suffix: ".png" }],
    matching: ["a.png", ".png", ["a.jpg", "b.png"]],
    notMatching: ["a.PNG", "png", "a.png.jpg", MISSING],
  },
  {
    name: "suffix ignoring case",
    leafList: [{ suffix: { "equals-ignore-case": ".png" } }],
    matching: ["a.PNG", "b.png", "c.Png"],
    notMatching: ["a.pn", "a.png.txt", 1],
  },
  {
    name: "equals-ignore-case",
    leafList: [{ "equals-ignore-case": "alice" }],
    matching: ["Alice", "ALICE", "alice", "aLiCe"],
    notMatching: ["alicia", "Alice ", "", 5, MISSING],
  },
  {
    name: "equals-ignore-case beyond ASCII",
    leafList: [{ "equals-ignore-case": "École" }],
    matching: ["ÉCOLE", "école"],
    notMatching: ["ecole"],
  },
  {
    name: "wildcard in the middle",
    leafList: [{ wildcard: "dir/*.png" }],
    matching: ["dir/a.png", "dir/sub/a.png", "dir/.png"],
    notMatching: ["dir/a.jpg", "other/a.png", "dir/a.png.bak", "dir.png", 3],
  },
  {
    name: "wildcard with leading and trailing stars",
    leafList: [{ wildcard: "*Title*" }],
    matching: ["Title", "My Title here", "Titles"],
    notMatching: ["title", "Titl"],
  },
  {
    name: "wildcard with a leading star",
    leafList: [{ wildcard: "*.png" }],
    matching: [".png", "x.png"],
    notMatching: ["x.pngx"],
  },
  {
    name: "wildcard with a trailing star",
    leafList: [{ wildcard: "img*" }],
    matching: ["img", "img-1"],
    notMatching: ["an img"],
  },
  {
    name: "wildcard with several stars",
    leafList: [{ wildcard: "a*b*c" }],
    matching: ["abc", "aXbYc", "abbc", "abcbc"],
    notMatching: ["acb", "ab", "bc", "abcx"],
  },
  {
    name: "wildcard whose parts cannot overlap",
    leafList: [{ wildcard: "ab*b" }],
    matching: ["abb", "abxb"],
    notMatching: ["ab"],
  },
  {
    name: "wildcard without a star",
    leafList: [{ wildcard: "abc" }],
    matching: ["abc"],
    notMatching: ["abcd", "ab"],
  },
  {
    name: "lone wildcard star",
    leafList: [{ wildcard: "*" }],
    matching: ["", "anything"],
    notMatching: [1, null, MISSING],
  },
  {
    name: "wildcard escaped star",
    leafList: [{ wildcard: "a\\*b" }],
    matching: ["a*b"],
    notMatching: ["aXb", "ab"],
  },
  {
    name: "wildcard escaped backslash",
    leafList: [{ wildcard: "a\\\\b" }],
    matching: ["a\\b"],
    notMatching: ["ab", "a\\\\b"],
  },
  {
    name: "wildcard escaped star next to a star",
    leafList: [{ wildcard: "\\**" }],
    matching: ["*", "*foo"],
    notMatching: ["foo", "f*"],
  },
  {
    name: "anything-but a string",
    leafList: [{ "anything-but": "initializing" }],
    matching: ["running", 5, null, true, ["initializing", "running"]],
    notMatching: ["initializing", ["initializing"], MISSING, { a: 1 }, []],
  },
  {
    name: "anything-but a list of strings",
    leafList: [{ "anything-but": ["stopped", "overloaded"] }],
    matching: ["running", "Stopped"],
    notMatching: ["stopped", "overloaded", MISSING],
  },
  {
    name: "anything-but a number",
    leafList: [{ "anything-but": 123 }],
    matching: [124, "123", -123],
    notMatching: [123, JSON.parse("123.0"), MISSING],
  },
  {
    name: "anything-but a list of numbers",
    leafList: [{ "anything-but": [100, 200, 300] }],
    matching: [150, "200"],
    notMatching: [100, 200, 300],
  },
  {
    name: "anything-but a prefix",
    leafList: [{ "anything-but": { prefix: "init" } }],
    matching: ["running", "Init", 5],
    notMatching: ["initializing", "init", MISSING],
  },
  {
    name: "anything-but a list of prefixes",
    leafList: [{ "anything-but": { prefix: ["init", "err"] } }],
    matching: ["ok"],
    notMatching: ["error", "init"],
  },
  {
    name: "anything-but a suffix",
    leafList: [{ "anything-but": { suffix: ".png" } }],
    matching: ["a.jpg", "a.PNG"],
    notMatching: ["a.png"],
  },
  {
    name: "anything-but ignoring case",
    leafList: [{ "anything-but": { "equals-ignore-case": "initializing" } }],
    matching: ["running"],
    notMatching: ["INITIALIZING", "Initializing"],
  },
  {
    name: "anything-but a list ignoring case",
    leafList: [{ "anything-but": { "equals-ignore-case": ["Stopped", "OverLoaded"] } }],
    matching: ["running"],
    notMatching: ["stopped", "OVERLOADED"],
  },
  {
    name: "anything-but a wildcard",
    leafList: [{ "anything-but": { wildcard: "*/lib/*" } }],
    matching: ["/usr/bin/x", "lib"],
    notMatching: ["/usr/lib/x", "a/lib/"],
  },
  {
    name: "numeric range open below, closed above",
    leafList: [{ numeric: [">", 0, "<=", 5] }],
    matching: [0.5, 3, 5, [9, 4]],
    notMatching: [0, 5.0001, -1, "3", MISSING, null],
  },
  {
    name: "numeric range closed below, open above, negative",
    leafList: [{ numeric: [">=", -5, "<", -1] }],
    matching: [-5, -1.5, -4.999],
    notMatching: [-1, -5.1, 0],
  },
  {
    name: "numeric less than",
    leafList: [{ numeric: ["<", 10] }],
    matching: [9.99, -100],
    notMatching: [10, 11],
  },
  { name: "numeric at most", leafList: [{ numeric: ["<=", 5] }], matching: [5, 4], notMatching: [5.000001] },
  {
    name: "numeric greater than a float",
    leafList: [{ numeric: [">", 1.5] }],
    matching: [1.50001, 2],
    notMatching: [1.5, 1],
  },
  { name: "numeric at least", leafList: [{ numeric: [">=", 0] }], matching: [0, 0.1], notMatching: [-0.1] },
  {
    name: "numeric equals",
    leafList: [{ numeric: ["=", 3.018e2] }],
    matching: [301.8, JSON.parse("3.018e2")],
    notMatching: [301.80001, "301.8"],
  },
  {
    name: "exists true",
    leafList: [{ exists: true }],
    matching: ["x", "", 0, false, null, [1], ["a", { b: 1 }]],
    notMatching: [MISSING, { a: 1 }, [], [{ a: 1 }], [[]]],
  },
  {
    name: "exists false",
    leafList: [{ exists: false }],
    matching: [MISSING, { a: 1 }, [], [{ a: 1 }]],
    notMatching: [null, "x", 0, false, [1]],
  },
  {
    name: "exists false or an exact value",
    leafList: ["a", { exists: false }],
    matching: [MISSING, "a"],
    notMatching: ["b", null],
  },
  {
    name: "several operators (OR)",
    leafList: [{ prefix: "a" }, { numeric: [">", 10] }, "zz"],
    matching: ["abc", 11, "zz"],
    notMatching: ["b", 10, "z"],
  },
];

describe("filter operators, field by field", () => {
  for (const { name, leafList, matching, notMatching } of cases) {
    describe(`${name}: ${JSON.stringify(leafList)}`, () => {
      for (const value of matching) {
        it(`matches ${label(value)}`, () => assert.equal(fieldMatches(leafList, value), true));
      }
      for (const value of notMatching) {
        it(`does not match ${label(value)}`, () => assert.equal(fieldMatches(leafList, value), false));
      }
    });
  }
});
