import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDuration } from "../../../src/config/duration.js";

describe("parseDuration", () => {
  const good: Array<[string, number]> = [
    ["500ms", 500],
    ["1s", 1000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1.5s", 1500],
    ["0", 0],
    ["250us", 0.25],
  ];
  for (const [text, ms] of good) it(`${text} is ${ms}ms`, () => assert.equal(parseDuration(text), ms));
  for (const text of ["", "1", "s", "1 s", "1d", "-1s", "abc"]) {
    it(`"${text}" is not a duration`, () => assert.equal(parseDuration(text), undefined));
  }
});
