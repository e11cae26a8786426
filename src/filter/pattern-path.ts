/** JSON paths into a pattern, as error messages show them: `[0].data["c-count"][1].numeric`. */

import { isJsonObject } from "./event-value.js";

const IDENTIFIER_KEY = /^[A-Za-z_$][\w$]*$/;

export function pathToKey(parent: string, key: string): string {
  return IDENTIFIER_KEY.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

export function pathToIndex(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** Names the JSON type of a pattern value for an error message, without printing the value. */
export function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return "a string";
    case "number":
      return Number.isFinite(value) ? "a number" : "a non-finite number";
    case "boolean":
      return "a boolean";
    case "object":
      return isJsonObject(value)
        ? "an object"
        : "an object that is not plain JSON (a Date, Buffer or class instance)";
    case "undefined":
      return "nothing";
    default:
      return `a ${typeof value}`;
  }
}
