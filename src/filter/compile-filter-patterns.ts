import { compilePatternObject, type ObjectTest } from "./compile-pattern.js";
import { isJsonObject } from "./event-value.js";
import { FilterPatternError } from "./filter-pattern-error.js";
import { PatternValueBudget } from "./pattern-limits.js";
import { describeJsonType, pathToIndex } from "./pattern-path.js";
import type { FilterInput, MessageFilter } from "./types.js";

/**
 * Validates and compiles a list of patterns (throws FilterPatternError naming the path and the fix).
 * An empty list is an error. A message passes the filter when any pattern matches it.
 */
export function compileFilterPatterns(patterns: unknown): MessageFilter {
  if (!Array.isArray(patterns)) {
    throw new FilterPatternError("", `expected a list of patterns; got ${describeJsonType(patterns)}`);
  }
  if (patterns.length === 0) {
    throw new FilterPatternError(
      "",
      "expected at least one pattern; leave the filter out to pass every message",
    );
  }
  const budget = new PatternValueBudget();
  const tests: ObjectTest[] = [];
  let readsData = false;
  patterns.forEach((pattern, index) => {
    const path = pathToIndex("", index);
    if (!isJsonObject(pattern)) {
      const hint = typeof pattern === "string" ? " (give the pattern as an object, not as JSON text)" : "";
      throw new FilterPatternError(
        path,
        `expected a pattern object; got ${describeJsonType(pattern)}${hint}`,
      );
    }
    const compiled = compilePatternObject(pattern, path, 1, "message", budget);
    tests.push(compiled.test);
    readsData ||= compiled.readsData;
  });
  return Object.freeze({
    readsData,
    matches(input: FilterInput): boolean {
      for (const test of tests) if (test(input)) return true;
      return false;
    },
  });
}
