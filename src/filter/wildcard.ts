import type { StringTest } from "./string-tests.js";

/**
 * Wildcard patterns as EventBridge reads them: `*` stands for any run of characters (even none),
 * `\*` for a literal star and `\\` for a literal backslash. Two stars in a row, and a backslash
 * before anything else, are invalid. Matching is greedy and linear in the text (no regular
 * expression, no backtracking): the text must start with the part before the first star, end with
 * the part after the last, and hold the parts in between, in order, without overlap.
 */

export type WildcardParse = { readonly parts: readonly string[] } | { readonly problem: string };

/** Splits a wildcard pattern into its literal parts: n stars give n + 1 parts (the first and last may be ""). */
export function parseWildcard(pattern: string): WildcardParse {
  const parts: string[] = [];
  let literal = "";
  let previousWasStar = false;
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === "*") {
      if (previousWasStar) {
        return {
          problem: `two "*" in a row at character ${index}; one "*" already matches any run of characters`,
        };
      }
      parts.push(literal);
      literal = "";
      previousWasStar = true;
      continue;
    }
    previousWasStar = false;
    if (char === "\\") {
      const escaped = pattern[index + 1];
      if (escaped !== "*" && escaped !== "\\") {
        return {
          problem: `"\\" at character ${index} escapes only "*" or "\\"; write "\\\\" for a literal backslash`,
        };
      }
      literal += escaped;
      index++;
      continue;
    }
    literal += char;
  }
  parts.push(literal);
  return { parts };
}

export function wildcardTest(parts: readonly string[]): StringTest {
  const first = parts[0] ?? "";
  if (parts.length === 1) return (text) => text === first;
  const last = parts[parts.length - 1] ?? "";
  const middle = parts.slice(1, -1);
  return (text) => {
    const end = text.length - last.length;
    if (end < first.length || !text.startsWith(first) || !text.endsWith(last)) return false;
    let position = first.length;
    for (const part of middle) {
      const found = text.indexOf(part, position);
      if (found < 0 || found + part.length > end) return false;
      position = found + part.length;
    }
    return true;
  };
}
