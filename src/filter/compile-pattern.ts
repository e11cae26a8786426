import { compileLeafList, type FieldTest, OPERATORS } from "./compile-leaf-list.js";
import { EMPTY_OBJECT, isJsonObject, matchesAnyObject, readOwnField } from "./event-value.js";
import { FilterPatternError } from "./filter-pattern-error.js";
import { checkPatternDepth, type PatternValueBudget } from "./pattern-limits.js";
import { describeJsonType, pathToIndex, pathToKey } from "./pattern-path.js";
import { FILTER_INPUT_FIELDS } from "./types.js";

/** A test on one object of the event (the message itself at the top level). */
export type ObjectTest = (container: object) => boolean;

export interface CompiledPattern {
  readonly test: ObjectTest;
  /** Whether the pattern names `data` at the message level. */
  readonly readsData: boolean;
}

/** Where a pattern object sits: at the message level its keys are message fields; below, event fields. */
type PatternLevel = "message" | "nested";

const OR_KEY = "$or";
const DATA_KEY = "data";

/**
 * Compiles one pattern object. Every key must match (AND); `"$or"` lists at least two alternatives,
 * of which one must match together with the sibling keys. A key whose value is a list tests a leaf;
 * a key whose value is an object descends into the event's object there.
 */
export function compilePatternObject(
  pattern: Readonly<Record<string, unknown>>,
  path: string,
  depth: number,
  level: PatternLevel,
  budget: PatternValueBudget,
): CompiledPattern {
  checkPatternDepth(depth, path);
  const keys = Object.keys(pattern);
  if (keys.length === 0) {
    throw new FilterPatternError(
      path,
      "expected at least one field; an empty pattern object names nothing to match",
    );
  }
  const fieldTests: ObjectTest[] = [];
  let alternatives: readonly ObjectTest[] = [];
  let readsData = false;
  for (const key of keys) {
    const value = pattern[key];
    const keyPath = pathToKey(path, key);
    if (key === OR_KEY) {
      const compiled = compileAlternatives(value, keyPath, depth, level, budget);
      alternatives = compiled.map((alternative) => alternative.test);
      readsData ||= compiled.some((alternative) => alternative.readsData);
      continue;
    }
    if (level === "message") checkMessageField(key, keyPath);
    readsData ||= level === "message" && key === DATA_KEY;
    fieldTests.push(compileField(key, value, keyPath, depth, level, budget));
  }
  return { test: allOf(fieldTests, alternatives), readsData };
}

function compileField(
  key: string,
  value: unknown,
  keyPath: string,
  depth: number,
  level: PatternLevel,
  budget: PatternValueBudget,
): ObjectTest {
  if (Array.isArray(value)) {
    const fieldTest: FieldTest = compileLeafList(value, keyPath, budget);
    return (container) => fieldTest(readOwnField(container, key));
  }
  if (isJsonObject(value)) {
    const nested = compilePatternObject(value, keyPath, depth + 1, "nested", budget).test;
    const matchesNoObject = nested(EMPTY_OBJECT);
    if (level === "message" && key === DATA_KEY) {
      // Lambda drops a message whose body is not JSON when the pattern expects JSON in it.
      return (container) => {
        const data = readOwnField(container, key);
        return data !== undefined && matchesAnyObject(data, nested, matchesNoObject);
      };
    }
    return (container) => matchesAnyObject(readOwnField(container, key), nested, matchesNoObject);
  }
  const hint = (OPERATORS as readonly string[]).includes(key)
    ? `; an operator goes inside the field's list, e.g. "field": [{ ${JSON.stringify(key)}: ... }]`
    : "";
  throw new FilterPatternError(
    keyPath,
    `expected a list of values or operators, or an object of nested fields; got ${describeJsonType(value)}${hint}`,
  );
}

function compileAlternatives(
  value: unknown,
  path: string,
  depth: number,
  level: PatternLevel,
  budget: PatternValueBudget,
): CompiledPattern[] {
  if (!Array.isArray(value) || value.length < 2) {
    const got = Array.isArray(value) ? `a list of ${value.length}` : describeJsonType(value);
    throw new FilterPatternError(path, `"$or" takes a list of at least two pattern objects; got ${got}`);
  }
  return value.map((alternative, index) => {
    const alternativePath = pathToIndex(path, index);
    if (!isJsonObject(alternative)) {
      throw new FilterPatternError(
        alternativePath,
        `expected a pattern object in "$or"; got ${describeJsonType(alternative)}`,
      );
    }
    return compilePatternObject(alternative, alternativePath, depth + 1, level, budget);
  });
}

function checkMessageField(key: string, keyPath: string): void {
  if (!(FILTER_INPUT_FIELDS as readonly string[]).includes(key)) {
    throw new FilterPatternError(
      keyPath,
      `unknown message field ${JSON.stringify(key)}; expected one of ${FILTER_INPUT_FIELDS.join(", ")}, or "$or"`,
    );
  }
}

function allOf(fieldTests: readonly ObjectTest[], alternatives: readonly ObjectTest[]): ObjectTest {
  if (alternatives.length === 0 && fieldTests.length === 1) return fieldTests[0] as ObjectTest;
  return (container) => {
    for (const test of fieldTests) if (!test(container)) return false;
    if (alternatives.length === 0) return true;
    for (const alternative of alternatives) if (alternative(container)) return true;
    return false;
  };
}
