import { FilterPatternError } from "./filter-pattern-error.js";

/** Objects nest at most this deep in one pattern; every `$or` alternative counts as one level. */
export const MAX_PATTERN_DEPTH = 10;

/** Values and operators, counted over all the patterns of one filter. */
export const MAX_PATTERN_VALUES = 1000;

export function checkPatternDepth(depth: number, path: string): void {
  if (depth > MAX_PATTERN_DEPTH) {
    throw new FilterPatternError(
      path,
      `patterns nest at most ${MAX_PATTERN_DEPTH} objects deep (each "$or" alternative counts as one); flatten this pattern`,
    );
  }
}

/** Counts the values a filter holds while it is compiled, and stops the compilation past the limit. */
export class PatternValueBudget {
  private used = 0;

  spend(path: string, count = 1): void {
    this.used += count;
    if (this.used > MAX_PATTERN_VALUES) {
      throw new FilterPatternError(
        path,
        `patterns hold at most ${MAX_PATTERN_VALUES} values and operators in all; split the filter or use prefix, suffix or wildcard instead of long lists`,
      );
    }
  }
}
