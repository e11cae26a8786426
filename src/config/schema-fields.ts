import { z } from "zod";
import { parseDuration } from "./duration.js";

/** Node.js fires a longer timer at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A KrakenD duration string ("500ms", "1s", "2m"), converted to milliseconds. */
export const duration = (min = 0) =>
  z.string({ error: 'expected a duration string such as "500ms", "1s" or "2m"' }).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `expected a duration such as "500ms", "1s" or "2m", got "${text}"`,
      });
      return z.NEVER;
    }
    if (ms > MAX_TIMER_MS) {
      ctx.addIssue({
        code: "custom",
        message: `must be at most 24 days (a Node.js timer's limit), got "${text}"`,
      });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: "custom", message: `must be at least ${formatMs(min)}, got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export const count = (what: string) =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` });

const AMQP_URL_HINT = 'expected an AMQP URL such as "amqp://user:password@host:5672/" (amqp:// or amqps://)';

/** One broker URL. The message never quotes the value: it may hold a password. */
export const amqpUrl = z.string({ error: AMQP_URL_HINT }).refine(
  (text) => {
    try {
      const url = new URL(text);
      return url.protocol === "amqp:" || url.protocol === "amqps:";
    } catch {
      return false;
    }
  },
  { error: AMQP_URL_HINT },
);

/**
 * KrakenD's single URL, or a list of cluster nodes' URLs. A string holding a JSON array (a broker
 * secret with several URLs, whose passwords may contain commas) is that list.
 */
export const amqpHosts = z.preprocess(
  (value) => {
    if (typeof value !== "string" || !value.trimStart().startsWith("[")) return value;
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  },
  z.union([amqpUrl, z.array(amqpUrl).min(1, { error: "list at least one URL" })], {
    error: `${AMQP_URL_HINT}, or a list of them (one per cluster node)`,
  }),
);
