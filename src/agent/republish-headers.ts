import { PUBLISH_ID_HEADER } from "../amqp/confirmed-publish.js";
import { AGENT_HEADERS } from "./agent-headers.js";

/**
 * A message's own headers made safe to publish again through the agent's exchange: own keys only;
 * `CC`/`BCC` (which RabbitMQ would route by) kept for the record as `x-agent-original-cc`/`-bcc`;
 * nothing nested deeper than `MAX_DEPTH`; at most `budgetBytes` of encoded headers (amqplib refuses
 * a header table over 64 KiB and the frame must fit): the largest headers are left out first, and
 * `x-agent-headers-truncated` says which.
 */
export function republishHeaders(
  original: Record<string, unknown> | undefined,
  budgetBytes = HEADER_BUDGET_BYTES,
): Record<string, unknown> {
  const kept: Array<[string, unknown, number]> = [];
  const dropped: string[] = [];
  for (const key of original ? Object.keys(original) : []) {
    if (key === PUBLISH_ID_HEADER) continue;
    const value = original?.[key];
    const name = key === "CC" ? AGENT_HEADERS.cc : key === "BCC" ? AGENT_HEADERS.bcc : key;
    const size = encodedSize(value, 1);
    if (size === undefined) dropped.push(key);
    else kept.push([name, value, size + key.length + 2]);
  }
  let total = kept.reduce((sum, [, , size]) => sum + size, 0);
  if (total > budgetBytes) {
    kept.sort((a, b) => b[2] - a[2]);
    while (total > budgetBytes && kept.length > 0) {
      const [name, , size] = kept.shift() as [string, unknown, number];
      dropped.push(name);
      total -= size;
    }
  }
  const headers: Record<string, unknown> = Object.fromEntries(kept.map(([name, value]) => [name, value]));
  if (dropped.length > 0) {
    const names = dropped.map((name) => JSON.stringify(name.slice(0, 64))).join(", ");
    headers[AGENT_HEADERS.headersTruncated] =
      `${dropped.length} original header(s) left out (nested deeper than ${MAX_DEPTH} levels, or over ${budgetBytes} bytes in all): ${names}`.slice(
        0,
        1000,
      );
  }
  return headers;
}

/** Room for the original headers in a copy; the agent's own headers need about 2 KB more. */
export const HEADER_BUDGET_BYTES = 48 * 1024;
const MAX_DEPTH = 32;

/** Bytes amqplib needs to encode a field value (an upper bound), or `undefined` when it is too deep. */
function encodedSize(value: unknown, depth: number): number | undefined {
  if (depth > MAX_DEPTH) return undefined;
  if (value === null || value === undefined) return 1;
  switch (typeof value) {
    case "string":
      return 5 + Buffer.byteLength(value);
    case "number":
    case "bigint":
      return 9;
    case "boolean":
      return 2;
    case "object":
      break;
    default:
      return undefined;
  }
  if (Buffer.isBuffer(value)) return 5 + value.byteLength;
  if (Array.isArray(value)) return sumOf(value, depth);
  return sumOf(
    Object.keys(value).flatMap((key) => [key, (value as Record<string, unknown>)[key]]),
    depth,
  );
}

function sumOf(values: readonly unknown[], depth: number): number | undefined {
  let total = 5;
  for (const item of values) {
    const size = encodedSize(item, depth + 1);
    if (size === undefined) return undefined;
    total += size;
  }
  return total;
}
