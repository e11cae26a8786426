import type { z } from "zod";
import { circuitBreakerSchema } from "./amqp-schema.js";
import { joinPath } from "./env-placeholders.js";
import { agentOptionsSchema, amqpSchema, connectionSchema, consumerSchema, lambdaSchema } from "./schema.js";

const KNOWN_KEYS = [
  amqpSchema,
  lambdaSchema,
  connectionSchema,
  consumerSchema,
  circuitBreakerSchema,
  agentOptionsSchema,
].flatMap((schema) => Object.keys(schema.shape));

/** Turns a schema issue into a JSON path and a message that says what is expected. */
export function formatIssue(issue: z.core.$ZodIssue, root: unknown): { path: string; message: string } {
  const base = issue.path.reduce<string>((at, key) => joinPath(at, key as string | number), "");
  switch (issue.code) {
    case "unrecognized_keys": {
      const key = issue.keys[0] ?? "";
      const guess = closest(key, KNOWN_KEYS);
      const hint = guess ? `; did you mean "${guess}"?` : "; remove it or check the spelling";
      return { path: joinPath(base, key), message: `unknown key "${key}"${hint}` };
    }
    case "invalid_type": {
      const present = valueAt(root, issue.path) !== undefined;
      if (!present)
        return { path: base, message: `is required: ${issue.message.replace(/^Invalid input: /, "")}` };
      return { path: base, message: issue.message.replace(/^Invalid input: /, "") };
    }
    case "invalid_value":
      return {
        path: base,
        message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
      };
    case "too_small":
      return {
        path: base,
        message: issue.message.startsWith("Too small") ? `must be at least ${issue.minimum}` : issue.message,
      };
    case "too_big":
      return {
        path: base,
        message: issue.message.startsWith("Too big") ? `must be at most ${issue.maximum}` : issue.message,
      };
    default:
      return { path: base, message: issue.message };
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
