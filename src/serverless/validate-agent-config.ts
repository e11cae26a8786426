import { resolveConfig } from "../config/load-config.js";
import type { LoadedConfig } from "../config/types.js";
import { ConfigError } from "../errors.js";
import type { AgentFile } from "./build-agent-config.js";
import type { AmqpEvent } from "./serverless-types.js";

/** Where each section of a generated agent sits in an `amqp` event. */
const SECTION_PREFIXES: Array<[string, string]> = [
  ['.extra_config["async/amqp"]', ""],
  ['.backend[0].extra_config["backend/lambda"]', ""],
  [".consumer", ""],
  [".connection", ".connection"],
  [".name", " (agent name)"],
];

/**
 * Validates a generated config with the agent's own loader, so serverless.yml gets the messages the
 * CLI gives; the JSON path is translated to the event's place in serverless.yml.
 */
export function validateAgentConfig(
  file: AgentFile,
  events: readonly AmqpEvent[],
  env: NodeJS.ProcessEnv,
): LoadedConfig {
  try {
    return resolveConfig(file, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const detail = error.path ? error.message.slice(error.path.length + 2) : error.message;
    throw new Error(`${eventPath(error.path, events)}: ${detail}`);
  }
}

/** `async_agent[1].extra_config["async/amqp"].prefetch_cout` → `functions.orders.events[0].amqp.prefetch_cout`. */
export function eventPath(agentPath: string, events: readonly AmqpEvent[]): string {
  const match = /^async_agent\[(\d+)\]/.exec(agentPath);
  const event = match ? events[Number(match[1])] : undefined;
  if (!match || !event) return agentPath;
  const rest = agentPath.slice(match[0].length);
  for (const [prefix, replacement] of SECTION_PREFIXES) {
    if (rest === prefix || rest.startsWith(`${prefix}.`) || rest.startsWith(`${prefix}[`)) {
      return `${event.path}${replacement}${rest.slice(prefix.length)}`;
    }
  }
  return `${event.path} (${agentPath})`;
}
