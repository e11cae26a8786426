/**
 * Reading values out of a message, which arbitrary publishers control: own properties only (so keys
 * such as `__proto__`, `constructor` or `toString` are ordinary fields), lists walked without
 * recursion, and nothing converted to text.
 */

/** A JSON object as `JSON.parse` builds it: a plain or null-prototype object; not a list, Buffer or Date. */
export function isJsonObject(value: unknown): value is Readonly<Record<string, unknown>> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The value of an own field of `container`, or `undefined` when it has none (absent and undefined are alike). */
export function readOwnField(container: object, key: string): unknown {
  return Object.hasOwn(container, key) ? (container as Record<string, unknown>)[key] : undefined;
}

/** A value at the end of a path: anything present that is neither a list nor a JSON object. */
function isLeaf(value: unknown): boolean {
  return value !== undefined && !Array.isArray(value) && !isJsonObject(value);
}

/**
 * Calls `visit` on every item of `list` that is not itself a list, flattening nested lists with an
 * explicit stack (a list seen twice is skipped, so even a cyclic list ends). Stops at the first
 * item for which `visit` returns true, and returns whether it did.
 */
export function findInList(list: readonly unknown[], visit: (item: unknown) => boolean): boolean {
  const pending: (readonly unknown[])[] = [list];
  let seen: Set<readonly unknown[]> | undefined;
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    for (let index = 0; index < current.length; index++) {
      const item = current[index];
      if (Array.isArray(item)) {
        seen ??= new Set([list]);
        if (!seen.has(item)) {
          seen.add(item);
          pending.push(item);
        }
      } else if (visit(item)) {
        return true;
      }
    }
  }
  return false;
}

/** Whether any leaf of a field's value (the value itself, or any item of a list) passes `test`. */
export function someLeaf(value: unknown, test: (leaf: unknown) => boolean): boolean {
  if (!Array.isArray(value)) return isLeaf(value) && test(value);
  return findInList(value, (item) => isLeaf(item) && test(item));
}

/** Whether a field's value holds any leaf at all: what `{"exists": true}` asks. */
export function hasLeaf(value: unknown): boolean {
  return someLeaf(value, () => true);
}

/**
 * Whether a nested pattern matches a field's value: a JSON object is tested itself, a list through
 * each JSON object it holds (any one is enough, and all fields must match within that one object).
 * A value that holds no JSON object (absent, null, a string, a list of strings) has none of the
 * nested fields, so the answer is `matchesNoObject`: whether the pattern matches an empty object.
 */
export function matchesAnyObject(
  value: unknown,
  test: (object: object) => boolean,
  matchesNoObject: boolean,
): boolean {
  if (isJsonObject(value)) return test(value);
  if (!Array.isArray(value)) return matchesNoObject;
  let sawObject = false;
  const found = findInList(value, (item) => {
    if (!isJsonObject(item)) return false;
    sawObject = true;
    return test(item);
  });
  return found || (!sawObject && matchesNoObject);
}

/** The object a nested pattern is tested against, once at compile time, to learn `matchesNoObject`. */
export const EMPTY_OBJECT: object = Object.freeze(Object.create(null));
