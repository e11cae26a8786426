import { compileFilterPatterns, type FilterInput } from "../../../src/filter/index.js";

/** A message as the filter sees it; `data` is left out unless given (a body that is not JSON). */
export function message(fields: Partial<FilterInput> = {}): FilterInput {
  return {
    basicProperties: {},
    routingKey: "orders.created",
    exchange: "events",
    redelivered: false,
    ...fields,
  };
}

/** Whether a pattern over the JSON body (`data`) matches a body. */
export function bodyMatches(bodyPattern: unknown, body: unknown): boolean {
  return compileFilterPatterns([{ data: bodyPattern }]).matches(message({ data: body }));
}

/** Whether a leaf list for the body field `x` matches a body `{ x: value }`, or `{}` when value is MISSING. */
export function fieldMatches(leafList: unknown[], value: unknown): boolean {
  return bodyMatches({ x: leafList }, value === MISSING ? {} : { x: value });
}

export const MISSING = Symbol("missing field");
