/**
 * The W3C `tracestate` value the agent forwards: validated, then trimmed by the spec's rules
 * (https://www.w3.org/TR/trace-context/#tracestate-limits).
 *
 * @module
 */
import { trimHttpWhitespace } from "../shared/traceparent.js";

/** At most this many list members. */
export const TRACESTATE_MAX_MEMBERS = 32;
/** The size a forwarded `tracestate` is trimmed to (members and the commas between them). */
export const TRACESTATE_TARGET_CHARS = 512;
/** Members longer than this are the first to go when trimming. */
export const TRACESTATE_LARGE_MEMBER_CHARS = 128;
/**
 * A longer value is ignored without being read: 32 members of the longest valid form
 * (256-character key, `=`, 256-character value), the commas, and room for white space.
 */
export const TRACESTATE_MAX_INPUT_CHARS = 20_000;

const KEY = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** `key=value` with a valid key and value. */
function isValidMember(member: string): boolean {
  const equals = member.indexOf("=");
  return equals > 0 && KEY.test(member.slice(0, equals)) && VALUE.test(member.slice(equals + 1));
}

/**
 * The list members of a `tracestate` (`key=value`, white space around them removed, empty members
 * skipped), or `undefined` when any member is invalid or a key repeats: a `tracestate` that cannot
 * be parsed is not forwarded in part. More than 32 members are kept here; {@link trimTracestate}
 * cuts them.
 */
export function parseTracestate(raw: string): string[] | undefined {
  if (raw.length > TRACESTATE_MAX_INPUT_CHARS) return undefined;
  const members: string[] = [];
  const keys: string[] = [];
  for (const part of raw.split(",")) {
    const member = trimHttpWhitespace(part);
    if (member === "") continue;
    const key = isValidMember(member) ? member.slice(0, member.indexOf("=")) : undefined;
    if (key === undefined || keys.includes(key)) return undefined;
    keys.push(key);
    members.push(member);
  }
  return members;
}

/** The length of the members joined by commas. */
function joinedLength(members: readonly string[]): number {
  let length = members.length > 0 ? members.length - 1 : 0;
  for (const member of members) length += member.length;
  return length;
}

/**
 * Trims members by the spec's rules, whole members only: at most 32 (the first ones); then, while
 * the list is longer than 512 characters, members over 128 characters go first (from the end),
 * then members from the end.
 */
export function trimTracestateMembers(members: readonly string[]): string[] {
  const kept = members.slice(0, TRACESTATE_MAX_MEMBERS);
  let length = joinedLength(kept);
  for (let i = kept.length - 1; i >= 0 && length > TRACESTATE_TARGET_CHARS; i -= 1) {
    const member = kept[i] as string;
    if (member.length <= TRACESTATE_LARGE_MEMBER_CHARS) continue;
    kept.splice(i, 1);
    length -= member.length + (kept.length > 0 ? 1 : 0);
  }
  while (length > TRACESTATE_TARGET_CHARS) {
    const member = kept.pop() as string;
    length -= member.length + (kept.length > 0 ? 1 : 0);
  }
  return kept;
}

/**
 * The `tracestate` to forward for a received one: valid members only (else nothing), trimmed to at
 * most 32 members and 512 characters, joined without white space; `undefined` when nothing is left.
 */
export function trimTracestate(raw: string): string | undefined {
  // The common case, one member and nothing to trim: checked without splitting.
  if (raw.length <= TRACESTATE_TARGET_CHARS && !raw.includes(",") && trimHttpWhitespace(raw) === raw) {
    return raw !== "" && isValidMember(raw) ? raw : undefined;
  }
  const members = parseTracestate(raw);
  if (members === undefined) return undefined;
  const kept = trimTracestateMembers(members);
  return kept.length === 0 ? undefined : kept.join(",");
}
