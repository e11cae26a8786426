import type { OrderKey } from "./types.js";

/** Parses `consumer.order_key`; returns an error message instead when the text is not one of the forms. */
export function parseOrderKey(text: string): OrderKey | { error: string } {
  const expected = 'expected "routing_key", "header:<name>" or "body:<dotted.path>"';
  if (text === "routing_key") return { from: "routing_key" };
  if (text.startsWith("header:")) {
    const name = text.slice("header:".length);
    if (name.length === 0) return { error: `${expected}; the header name is missing` };
    return { from: "header", name };
  }
  if (text.startsWith("body:")) {
    const path = text.slice("body:".length).split(".");
    if (path.some((part) => part.length === 0)) {
      return { error: `${expected}; "${text}" has an empty path segment` };
    }
    return { from: "body", path };
  }
  return { error: `${expected}, got "${text}"` };
}
