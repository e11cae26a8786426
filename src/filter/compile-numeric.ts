import { FilterPatternError } from "./filter-pattern-error.js";
import type { LeafTest } from "./leaf-test.js";
import { describeJsonType, pathToIndex } from "./pattern-path.js";

const LOWER_BOUNDS = new Set([">", ">="]);
const UPPER_BOUNDS = new Set(["<", "<="]);
const EXPECTED_FORM =
  'expected ["=", n], [">" or ">=" or "<" or "<=", n], or a range [">" or ">=", low, "<" or "<=", high], e.g. [">", 0, "<=", 5]';

/** `{"numeric": [...]}`: one comparison, or a lower then an upper bound. Matches JSON numbers only. */
export function compileNumeric(operand: unknown, path: string): LeafTest {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    const got = Array.isArray(operand) ? `a list of ${operand.length}` : describeJsonType(operand);
    throw new FilterPatternError(path, `${EXPECTED_FORM}; got ${got}`);
  }
  const first = readComparison(operand, 0, path);
  if (operand.length === 2) return comparisonTest(first.operator, first.bound);
  if (!LOWER_BOUNDS.has(first.operator)) {
    throw new FilterPatternError(
      pathToIndex(path, 0),
      `a range starts with its lower bound (">" or ">=") and ends with its upper bound ("<" or "<="); ${JSON.stringify(first.operator)} cannot start one`,
    );
  }
  const second = readComparison(operand, 2, path);
  if (!UPPER_BOUNDS.has(second.operator)) {
    throw new FilterPatternError(
      pathToIndex(path, 2),
      `a range ends with its upper bound ("<" or "<="); got ${JSON.stringify(second.operator)}`,
    );
  }
  if (!(first.bound < second.bound)) {
    throw new FilterPatternError(
      pathToIndex(path, 3),
      `the upper bound must be greater than the lower bound (${first.bound}); use ["=", n] for a single number`,
    );
  }
  const low = comparisonTest(first.operator, first.bound);
  const high = comparisonTest(second.operator, second.bound);
  return (leaf) => low(leaf) && high(leaf);
}

function readComparison(
  operand: readonly unknown[],
  at: number,
  path: string,
): { operator: string; bound: number } {
  const operator = operand[at];
  const bound = operand[at + 1];
  if (typeof operator !== "string" || !["=", ...LOWER_BOUNDS, ...UPPER_BOUNDS].includes(operator)) {
    const got = typeof operator === "string" ? JSON.stringify(operator) : describeJsonType(operator);
    throw new FilterPatternError(
      pathToIndex(path, at),
      `expected a comparison operator ("=", ">", ">=", "<" or "<="); got ${got}`,
    );
  }
  if (operator === "=" && operand.length !== 2) {
    throw new FilterPatternError(
      pathToIndex(path, at),
      `"=" stands alone: ["=", n]; it cannot be part of a range`,
    );
  }
  if (typeof bound !== "number" || !Number.isFinite(bound)) {
    throw new FilterPatternError(
      pathToIndex(path, at + 1),
      `expected a number after ${JSON.stringify(operator)}; got ${describeJsonType(bound)}`,
    );
  }
  return { operator, bound };
}

function comparisonTest(operator: string, bound: number): LeafTest {
  switch (operator) {
    case "=":
      return (leaf) => typeof leaf === "number" && leaf === bound;
    case ">":
      return (leaf) => typeof leaf === "number" && leaf > bound;
    case ">=":
      return (leaf) => typeof leaf === "number" && leaf >= bound;
    case "<":
      return (leaf) => typeof leaf === "number" && leaf < bound;
    default:
      return (leaf) => typeof leaf === "number" && leaf <= bound;
  }
}
