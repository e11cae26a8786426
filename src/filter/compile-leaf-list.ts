import { compileAnythingBut } from "./compile-anything-but.js";
import { compileNumeric } from "./compile-numeric.js";
import { compileStringTest, type StringOperator } from "./compile-string-operator.js";
import { hasLeaf, isJsonObject, someLeaf } from "./event-value.js";
import { FilterPatternError } from "./filter-pattern-error.js";
import { ExactValues, isJsonLeaf, type LeafTest } from "./leaf-test.js";
import type { PatternValueBudget } from "./pattern-limits.js";
import { describeJsonType, pathToIndex, pathToKey } from "./pattern-path.js";

/** A test on the whole value of one field (`undefined` when the field is absent). */
export type FieldTest = (value: unknown) => boolean;

export const OPERATORS = [
  "prefix",
  "suffix",
  "anything-but",
  "numeric",
  "exists",
  "equals-ignore-case",
  "wildcard",
] as const;

type CompiledOperator = { readonly exists: boolean } | { readonly test: LeafTest };

/**
 * A list of exact values and operators for one field; the field matches when any of them does.
 * Value tests look at every leaf of the field (a list matches when any item does); `exists` looks
 * at the field as a whole: it exists when it holds at least one leaf, so null exists and an object
 * does not ("exists matching only works on leaf nodes").
 */
export function compileLeafList(
  list: readonly unknown[],
  path: string,
  budget: PatternValueBudget,
): FieldTest {
  if (list.length === 0) {
    throw new FilterPatternError(
      path,
      "expected at least one value or operator; an empty list matches nothing",
    );
  }
  const exact = new ExactValues();
  const operatorTests: LeafTest[] = [];
  let matchesPresent = false;
  let matchesAbsent = false;
  list.forEach((item, index) => {
    const itemPath = pathToIndex(path, index);
    budget.spend(itemPath);
    if (isJsonLeaf(item)) {
      exact.add(item);
      return;
    }
    if (!isJsonObject(item)) {
      throw new FilterPatternError(
        itemPath,
        `expected a string, number, boolean, null or an operator object such as {"prefix": "abc"}; got ${describeJsonType(item)}`,
      );
    }
    const operator = compileOperator(item, itemPath, budget);
    if ("test" in operator) operatorTests.push(operator.test);
    else if (operator.exists) matchesPresent = true;
    else matchesAbsent = true;
  });
  const leafTest = combineLeafTests(exact, operatorTests);
  if (!matchesPresent && !matchesAbsent) return (value) => someLeaf(value, leafTest);
  return (value) => {
    const present = hasLeaf(value);
    if (present ? matchesPresent : matchesAbsent) return true;
    return present && someLeaf(value, leafTest);
  };
}

function combineLeafTests(exact: ExactValues, operatorTests: readonly LeafTest[]): LeafTest {
  if (operatorTests.length === 0) return (leaf) => exact.has(leaf);
  if (exact.size === 0 && operatorTests.length === 1) return operatorTests[0] as LeafTest;
  return (leaf) => {
    if (exact.has(leaf)) return true;
    for (const test of operatorTests) if (test(leaf)) return true;
    return false;
  };
}

function compileOperator(
  item: Readonly<Record<string, unknown>>,
  itemPath: string,
  budget: PatternValueBudget,
): CompiledOperator {
  const names = Object.keys(item);
  const name = names[0];
  if (names.length !== 1 || name === undefined) {
    throw new FilterPatternError(
      itemPath,
      `an operator object holds exactly one operator; this one has ${names.length} keys (${names.map((key) => JSON.stringify(key)).join(", ")}); put each operator in its own object in the list`,
    );
  }
  const operand = item[name];
  const operatorPath = pathToKey(itemPath, name);
  switch (name) {
    case "prefix":
    case "suffix":
      return { test: stringsOnly(compileAffix(name, operand, operatorPath)) };
    case "equals-ignore-case":
    case "wildcard":
      if (typeof operand !== "string") {
        throw new FilterPatternError(operatorPath, `expected a string; got ${describeJsonType(operand)}`);
      }
      return { test: stringsOnly(compileStringTest(name, operand, false, operatorPath)) };
    case "anything-but":
      return { test: compileAnythingBut(operand, operatorPath, budget) };
    case "numeric":
      return { test: compileNumeric(operand, operatorPath) };
    case "exists":
      if (typeof operand !== "boolean") {
        throw new FilterPatternError(
          operatorPath,
          `expected true or false; got ${describeJsonType(operand)}`,
        );
      }
      return { exists: operand };
    case "cidr":
      throw new FilterPatternError(
        operatorPath,
        `"cidr" is not supported by this filter; match addresses with "prefix" or "wildcard" instead`,
      );
    default:
      throw new FilterPatternError(
        itemPath,
        `unknown operator ${JSON.stringify(name)}; expected one of ${OPERATORS.join(", ")}`,
      );
  }
}

/** `"prefix": "abc"` or `"prefix": {"equals-ignore-case": "abc"}`, and the same for suffix. */
function compileAffix(operator: StringOperator, operand: unknown, path: string): (text: string) => boolean {
  if (typeof operand === "string") return compileStringTest(operator, operand, false, path);
  if (isJsonObject(operand)) {
    const names = Object.keys(operand);
    const text = operand["equals-ignore-case"];
    if (names.length === 1 && names[0] === "equals-ignore-case" && typeof text === "string") {
      return compileStringTest(operator, text, true, path);
    }
  }
  throw new FilterPatternError(
    path,
    `expected a string or {"equals-ignore-case": "text"}; got ${describeJsonType(operand)}`,
  );
}

function stringsOnly(test: (text: string) => boolean): LeafTest {
  return (leaf) => typeof leaf === "string" && test(leaf);
}
