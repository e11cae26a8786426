import type { ServerlessLike } from "./serverless-types.js";

/** The Serverless Framework's default function timeout, in seconds. */
export const DEFAULT_FUNCTION_TIMEOUT_S = 6;

/**
 * Added to the function's timeout to get the agent's `consumer.timeout`. Lambda ends every
 * invocation at the function's timeout by itself (a "Task timed out" function error), so the agent's
 * timeout only has to catch a lost connection; it must not cut short an invocation Lambda would
 * still complete. Outside the function's timeout there is the init phase of a cold start, which
 * Lambda bounds at 10 s, plus the round trip: 10 s covers both. Too short a margin retries a call
 * that succeeded (a duplicate, maybe dead-lettered); a longer one only delays noticing a dead socket.
 */
export const TIMEOUT_MARGIN_S = 10;

/** `consumer.timeout` for a function: its `timeout`, else the provider's, else 6 s; plus the margin. */
export function consumerTimeout(serverless: ServerlessLike, functionKey: string): string {
  const fromFunction = serverless.service.getFunction(functionKey).timeout;
  const fromProvider = serverless.service.provider.timeout;
  const [raw, path] =
    fromFunction !== undefined
      ? [fromFunction, `functions.${functionKey}.timeout`]
      : fromProvider !== undefined
        ? [fromProvider, "provider.timeout"]
        : [DEFAULT_FUNCTION_TIMEOUT_S, ""];
  const seconds = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(`${path}: expected the function's timeout in seconds, got ${JSON.stringify(raw)}`);
  }
  return `${Math.ceil(seconds) + TIMEOUT_MARGIN_S}s`;
}
