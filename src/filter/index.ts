/**
 * Message filtering with the pattern syntax of Amazon EventBridge and Lambda event filtering:
 * patterns are validated and compiled once, then matched per message without I/O.
 */
export { compileFilterPatterns } from "./compile-filter-patterns.js";
export { FilterPatternError } from "./filter-pattern-error.js";
export { MAX_PATTERN_DEPTH, MAX_PATTERN_VALUES } from "./pattern-limits.js";
export { FILTER_INPUT_FIELDS, type FilterInput, type MessageFilter } from "./types.js";
