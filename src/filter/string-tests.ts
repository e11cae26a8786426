/** Tests on string values, built once per operator. Case-insensitive tests fold both sides the same way. */

export type StringTest = (text: string) => boolean;

/** Locale-independent case folding: upper then lower case, so "ß" folds like "SS" and "ſ" like "s". */
export function foldCase(text: string): string {
  return text.toUpperCase().toLowerCase();
}

export function prefixTest(prefix: string, ignoreCase: boolean): StringTest {
  if (!ignoreCase) return (text) => text.startsWith(prefix);
  const folded = foldCase(prefix);
  return (text) => foldCase(text).startsWith(folded);
}

export function suffixTest(suffix: string, ignoreCase: boolean): StringTest {
  if (!ignoreCase) return (text) => text.endsWith(suffix);
  const folded = foldCase(suffix);
  return (text) => foldCase(text).endsWith(folded);
}

export function equalsIgnoreCaseTest(expected: string): StringTest {
  const folded = foldCase(expected);
  return (text) => foldCase(text) === folded;
}
