const HEX = "0123456789ABCDEF";

/**
 * Bytes as a header value that can only be read back as written: `%`, every byte outside 0x20–0x7E
 * (CR, LF, NUL, UTF-8 sequences) and a space at either end (HTTP would trim it) become `%XX`, so
 * `decodeURIComponent` gives the text back and no byte can end the header line.
 */
export function percentEncodeHeader(bytes: Uint8Array): string {
  let out = "";
  const last = bytes.length - 1;
  for (let i = 0; i <= last; i++) {
    const byte = bytes[i] as number;
    const plain = byte > 0x20 ? byte <= 0x7e && byte !== 0x25 : byte === 0x20 && i !== 0 && i !== last;
    out += plain ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Deepest nesting of tables and arrays written into a header. */
export const MAX_JSON_DEPTH = 16;

class TooLarge extends Error {}

/**
 * A header table or array as JSON text, written here rather than by `JSON.stringify` so that a
 * publisher's value can do nothing but be read: own enumerable keys only (`__proto__` is an
 * ordinary key), accessors skipped and never called, no `toJSON`, byte strings as text when they are
 * UTF-8 (else `{"base64": ...}`), numbers that JSON cannot hold as `null`. `undefined` when it nests
 * deeper than `MAX_JSON_DEPTH` or would be longer than `maxChars`: the work stops there.
 */
export function boundedJson(value: unknown, maxChars: number): string | undefined {
  let budget = maxChars;
  const spend = (text: string): string => {
    budget -= text.length;
    if (budget < 0) throw new TooLarge();
    return text;
  };
  const write = (item: unknown, depth: number): string => {
    if (item === null || item === undefined) return spend("null");
    switch (typeof item) {
      case "string":
        if (item.length > budget) throw new TooLarge();
        return spend(JSON.stringify(item));
      case "number":
      case "boolean":
        return spend(JSON.stringify(item));
      case "bigint":
        return spend(`${item}`);
      case "object":
        break;
      default:
        return spend("null");
    }
    if (depth > MAX_JSON_DEPTH) throw new TooLarge();
    if (item instanceof Uint8Array) {
      if (item.byteLength > budget) throw new TooLarge();
      return write(bytesAsJsonValue(item), depth);
    }
    const parts: string[] = [];
    if (Array.isArray(item)) {
      spend("[]");
      for (let i = 0; i < item.length; i++) {
        if (i > 0) spend(",");
        parts.push(write(ownValue(item, String(i)), depth + 1));
      }
      return `[${parts.join(",")}]`;
    }
    spend("{}");
    for (const key of Object.keys(item)) {
      const descriptor = Object.getOwnPropertyDescriptor(item, key);
      if (!descriptor || !("value" in descriptor)) continue;
      if (parts.length > 0) spend(",");
      const name = write(key, depth);
      spend(":");
      parts.push(`${name}:${write(descriptor.value, depth + 1)}`);
    }
    return `{${parts.join(",")}}`;
  };
  try {
    return write(value, 1);
  } catch (error) {
    if (error instanceof TooLarge) return undefined;
    throw error;
  }
}

/** An element of an array, unless it is an accessor (then `null`). */
function ownValue(array: unknown[], index: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(array, index);
  return descriptor && "value" in descriptor ? descriptor.value : null;
}

/** A byte string as JSON can carry it: its text when it is UTF-8, else base64. */
function bytesAsJsonValue(bytes: Uint8Array): unknown {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return { base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64") };
  }
}
