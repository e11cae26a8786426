const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

const BYTE_SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/**
 * A size in bytes: a whole number of bytes, or text such as "256KB" / "5MB" (×1,000) or
 * "256KiB" / "5MiB" (×1,024), units in any case. Returns `undefined` for anything else, or a size
 * that is not a whole number of bytes.
 */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = BYTE_SIZE.exec(value.trim());
  if (!match) return undefined;
  const [, amount, unit] = match as unknown as [string, string, string];
  const factor = UNIT_BYTES[unit === "" ? "b" : unit.toLowerCase()];
  if (factor === undefined) return undefined;
  const bytes = Number(amount) * factor;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
