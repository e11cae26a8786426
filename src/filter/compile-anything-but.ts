import { compileStringTest, isStringOperator, STRING_OPERATORS } from "./compile-string-operator.js";
import { isJsonObject } from "./event-value.js";
import { FilterPatternError } from "./filter-pattern-error.js";
import { ExactValues, isJsonLeaf, type LeafTest } from "./leaf-test.js";
import type { PatternValueBudget } from "./pattern-limits.js";
import { describeJsonType, pathToIndex, pathToKey } from "./pattern-path.js";
import type { StringTest } from "./string-tests.js";

const EXPECTED_FORM = `expected a string, a number, a list of strings or of numbers, or an object with one of ${STRING_OPERATORS.join(", ")}`;

/**
 * `{"anything-but": ...}` matches a leaf that the operand does not: any JSON leaf (string, number,
 * boolean or null) other than the listed values, or, with a string operator, any leaf that is not a
 * string the operator matches (a number is not a string with prefix "init", so it matches).
 */
export function compileAnythingBut(operand: unknown, path: string, budget: PatternValueBudget): LeafTest {
  if (typeof operand === "string" || typeof operand === "number") {
    return excludeValues(readExcludedValues([operand], path, budget, false));
  }
  if (Array.isArray(operand)) return excludeValues(readExcludedValues(operand, path, budget, true));
  if (isJsonObject(operand)) return excludeStringMatches(operand, path, budget);
  throw new FilterPatternError(path, `${EXPECTED_FORM}; got ${describeJsonType(operand)}`);
}

function readExcludedValues(
  values: readonly unknown[],
  path: string,
  budget: PatternValueBudget,
  isList: boolean,
): ExactValues {
  if (values.length === 0) {
    throw new FilterPatternError(
      path,
      "expected at least one value to exclude; an empty list excludes nothing",
    );
  }
  const firstType = typeof values[0];
  const excluded = new ExactValues();
  values.forEach((value, index) => {
    const valuePath = isList ? pathToIndex(path, index) : path;
    budget.spend(valuePath);
    const isString = typeof value === "string";
    const isNumber = typeof value === "number" && Number.isFinite(value);
    if (!isString && !isNumber) {
      throw new FilterPatternError(
        valuePath,
        `anything-but excludes strings or numbers only; got ${describeJsonType(value)}`,
      );
    }
    if (typeof value !== firstType) {
      throw new FilterPatternError(
        valuePath,
        `an anything-but list holds only strings or only numbers; it starts with ${describeJsonType(values[0])}, this is ${describeJsonType(value)}`,
      );
    }
    excluded.add(value);
  });
  return excluded;
}

function excludeValues(excluded: ExactValues): LeafTest {
  return (leaf) => isJsonLeaf(leaf) && !excluded.has(leaf);
}

function excludeStringMatches(
  operand: Readonly<Record<string, unknown>>,
  path: string,
  budget: PatternValueBudget,
): LeafTest {
  const names = Object.keys(operand);
  const name = names[0];
  if (names.length !== 1 || name === undefined || !isStringOperator(name)) {
    const problem =
      names.length === 1 ? `unknown anything-but operator ${JSON.stringify(name)}` : `${names.length} keys`;
    throw new FilterPatternError(
      path,
      `an anything-but object holds exactly one of ${STRING_OPERATORS.join(", ")}; got ${problem}`,
    );
  }
  const operatorPath = pathToKey(path, name);
  const texts = readExcludedTexts(operand[name], operatorPath, budget);
  const tests: StringTest[] = texts.map(({ text, textPath }) =>
    compileStringTest(name, text, false, textPath),
  );
  return (leaf) => isJsonLeaf(leaf) && (typeof leaf !== "string" || !tests.some((test) => test(leaf)));
}

function readExcludedTexts(
  operand: unknown,
  path: string,
  budget: PatternValueBudget,
): { text: string; textPath: string }[] {
  if (typeof operand === "string") {
    budget.spend(path);
    return [{ text: operand, textPath: path }];
  }
  if (!Array.isArray(operand) || operand.length === 0) {
    const got = Array.isArray(operand) ? "an empty list" : describeJsonType(operand);
    throw new FilterPatternError(path, `expected a string or a non-empty list of strings; got ${got}`);
  }
  return operand.map((text, index) => {
    const textPath = pathToIndex(path, index);
    budget.spend(textPath);
    if (typeof text !== "string") {
      throw new FilterPatternError(textPath, `expected a string; got ${describeJsonType(text)}`);
    }
    return { text, textPath };
  });
}
