import { createRequire } from "node:module";
import pino, { type Logger } from "pino";
import type { SecretScrubber } from "./redact.js";

export type { Logger } from "pino";

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  scrubber: SecretScrubber;
  destination?: pino.DestinationStream;
}

/**
 * The process logger: one JSON line per event (human-readable at a terminal), every line passed
 * through the secret scrubber before it is written.
 */
export function createLogger({ level, pretty, scrubber, destination }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: { streamWrite: (line) => scrubber.scrub(line) },
    serializers: { err: serializeError },
  };
  if (destination) return pino(options, destination);
  if (pretty && prettyAvailable()) {
    return pino({
      ...options,
      transport: {
        target: "pino-pretty",
        options: { colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" },
      },
    });
  }
  return pino(options, pino.destination({ fd: 1, sync: false }));
}

/** pino-pretty is a development dependency: pretty output when it is installed, JSON otherwise. */
function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve("pino-pretty");
    return true;
  } catch {
    return false;
  }
}

/** The logger for one agent: every line names the agent and keeps KrakenD's message prefix. */
export function agentLogger(root: Logger, agent: string): Logger {
  return root.child({ agent }, { msgPrefix: `[ASYNC: ${agent}][AMQP] ` });
}

/** pino's error serializer, without the peer certificate Node attaches to TLS errors (kilobytes per line). */
function serializeError(error: Error): object {
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  delete serialized.cert;
  return serialized;
}
