/** Tests on one leaf of an event, and the set of exact values a leaf list names. */

/** A test on one leaf: a string, number, boolean, null, or a non-JSON value (Buffer, Date) no operator matches. */
export type LeafTest = (leaf: unknown) => boolean;

export type JsonLeaf = string | number | boolean | null;

/** The leaves operators compare: JSON strings, finite numbers, booleans and null. */
export function isJsonLeaf(value: unknown): value is JsonLeaf {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    default:
      return value === null;
  }
}

/**
 * Exact values, compared by type then value: "5" never equals 5, and numbers compare numerically
 * (a JSON 5.0 is parsed to the same number as 5).
 */
export class ExactValues {
  private readonly strings = new Set<string>();
  private readonly numbers = new Set<number>();
  private readonly literals = new Set<boolean | null>();

  get size(): number {
    return this.strings.size + this.numbers.size + this.literals.size;
  }

  add(value: JsonLeaf): void {
    if (typeof value === "string") this.strings.add(value);
    else if (typeof value === "number") this.numbers.add(value);
    else this.literals.add(value);
  }

  has(leaf: unknown): boolean {
    switch (typeof leaf) {
      case "string":
        return this.strings.has(leaf);
      case "number":
        return this.numbers.has(leaf);
      case "boolean":
        return this.literals.has(leaf);
      default:
        return leaf === null && this.literals.has(null);
    }
  }
}
