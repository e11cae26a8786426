/**
 * Random trace and span ids, drawn from a pool of cryptographic random bytes refilled 4 KiB at a
 * time (one `randomFillSync` per 512 span ids, not one per id).
 *
 * @module
 */
import { randomFillSync } from "node:crypto";

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

/** `bytes` random bytes as lowercase hex. */
function randomHex(bytes: number): string {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString("hex", offset, offset + bytes);
  offset += bytes;
  return hex;
}

const ZERO_SPAN_ID = "0000000000000000";

/** A random span id: 16 hex digits, never all zeros. */
export function randomSpanId(): string {
  for (;;) {
    const id = randomHex(8);
    if (id !== ZERO_SPAN_ID) return id;
  }
}

/**
 * A trace id X-Ray accepts as a root: the first 8 hex digits are the time in seconds (as X-Ray's
 * own ids are), the other 24 random. Never all zeros (the time is not zero).
 */
export function xrayCompatibleTraceId(nowMs: number): string {
  const seconds = Math.max(1, Math.floor(nowMs / 1000)) >>> 0;
  return seconds.toString(16).padStart(8, "0") + randomHex(12);
}
