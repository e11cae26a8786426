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

/** Turns anything that was thrown into an `Error` (the one conversion, shared with the middleware). */
export { toError } from "./shared/to-error.js";
