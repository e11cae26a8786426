function describe(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return `non-Error value thrown: ${typeof value === "bigint" ? `${value}n` : (JSON.stringify(value) ?? String(value))}`;
  } catch {
    return `non-Error value thrown: ${Object.prototype.toString.call(value)}`;
  }
}

/**
 * Returns `value` when it is an Error (also from another realm), otherwise wraps it: a string
 * becomes the message, anything else is described (`non-Error value thrown: undefined`). The
 * original value is kept as `cause`.
 */
export function toError(value: unknown): Error {
  if (value instanceof Error || Object.prototype.toString.call(value) === "[object Error]")
    return value as Error;
  return new Error(describe(value), { cause: value });
}
