import { FilterPatternError } from "./filter-pattern-error.js";
import { equalsIgnoreCaseTest, prefixTest, type StringTest, suffixTest } from "./string-tests.js";
import { parseWildcard, wildcardTest } from "./wildcard.js";

/** The operators that test strings, and so the ones `anything-but` accepts as an object. */
export const STRING_OPERATORS = ["prefix", "suffix", "equals-ignore-case", "wildcard"] as const;
export type StringOperator = (typeof STRING_OPERATORS)[number];

export function isStringOperator(name: string): name is StringOperator {
  return (STRING_OPERATORS as readonly string[]).includes(name);
}

/**
 * One string test: `ignoreCase` applies to prefix and suffix (`{"prefix": {"equals-ignore-case": ...}}`);
 * a wildcard is checked here and rejected with the reason.
 */
export function compileStringTest(
  operator: StringOperator,
  text: string,
  ignoreCase: boolean,
  path: string,
): StringTest {
  switch (operator) {
    case "prefix":
      return prefixTest(text, ignoreCase);
    case "suffix":
      return suffixTest(text, ignoreCase);
    case "equals-ignore-case":
      return equalsIgnoreCaseTest(text);
    case "wildcard": {
      const parsed = parseWildcard(text);
      if ("problem" in parsed) throw new FilterPatternError(path, `invalid wildcard: ${parsed.problem}`);
      return wildcardTest(parsed.parts);
    }
  }
}
