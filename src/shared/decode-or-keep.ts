/** `decodeURIComponent`, or the text as it is when it is not valid percent-encoding (`%zz`, a lone `%`). */
export function decodeOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
