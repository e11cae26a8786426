/**
 * The agent's error hierarchy. Every error has a stable `code` callers can switch on, an optional
 * `cause`, and a message that says what to do about it.
 */
export type AgentErrorCode =
  | "CONFIG_INVALID"
  | "BROKER_UNREACHABLE"
  | "TOPOLOGY_FAILED"
  /** `declare: false` and something the agent needs does not exist. */
  | "TOPOLOGY_MISSING"
  /** The health/metrics address is taken. */
  | "HTTP_ADDRESS_IN_USE";

export class AgentError extends Error {
  readonly code: AgentErrorCode;

  constructor(code: AgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class ConfigError extends AgentError {
  /** JSON path of the offending value, e.g. `async_agent[0].consumer.workers`. */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super("CONFIG_INVALID", path ? `${path}: ${message}` : message, options);
    this.path = path;
  }
}

/** Turns anything that was thrown into an `Error` so it can be logged and inspected safely. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === "string") return new Error(thrown);
  try {
    return new Error(`non-error thrown: ${JSON.stringify(thrown)}`);
  } catch {
    return new Error(`non-error thrown: ${String(thrown)}`);
  }
}
