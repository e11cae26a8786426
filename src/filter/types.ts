/** What a message looks like to the filter. `data` absent (the key missing) when the body is not JSON. */
export interface FilterInput {
  data?: unknown;
  basicProperties: Record<string, unknown>;
  routingKey: string;
  exchange: string;
  redelivered: boolean;
}

/** The fields a pattern may name at its top level (inside a top-level `$or` too). */
export const FILTER_INPUT_FIELDS = [
  "data",
  "basicProperties",
  "routingKey",
  "exchange",
  "redelivered",
] as const;

export interface MessageFilter {
  /** True when any pattern matches. */
  matches(input: FilterInput): boolean;
  /** Whether any pattern looks into `data` (so the caller can skip parsing bodies when none does). */
  readonly readsData: boolean;
}
