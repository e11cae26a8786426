#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { redrive } from "./agent/redrive.js";
import { runAgents } from "./agent/run-agents.js";
import { socketOptions } from "./amqp/connect-options.js";
import { loadConfigFile, parseDuration } from "./config/index.js";
import type { LoadedConfig } from "./config/types.js";
import { describeConfig } from "./describe-config.js";
import { AgentError, ConfigError, toError } from "./errors.js";
import { createLogger } from "./observability/logger.js";
import { SecretScrubber } from "./observability/redact.js";

const USAGE = `Usage: amqp-lambda-agent <command> --config <file> [options]

Commands:
  run        consume every agent's queue and invoke its Lambda function until SIGTERM/SIGINT
  validate   check a config file and print the resolved topology (exit 0 valid, 2 invalid)
  redrive    move dead-lettered messages back onto their exchange

Options:
  --config, -c <file>      KrakenD-style JSON config ({"async_agent": [...]}, or a whole krakend.json)
  --agent <name>           redrive: the agent whose dead-letter queue to drain (default: every agent)
  --limit <n>              redrive: move at most n messages per agent
  --drain-timeout <dur>    run: how long a stop waits for in-flight invocations (default: consumer.drain_timeout)
  --log-level <level>      trace|debug|info|warn|error (default: config, then LOG_LEVEL, then info)
  --help, --version

Exit codes: 0 ok, 1 runtime failure (broker unreachable after max_retries), 2 invalid config or usage.`;

const EXIT = { ok: 0, runtime: 1, usage: 2 } as const;

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      agent: { type: "string" },
      limit: { type: "string" },
      "drain-timeout": { type: "string" },
      "log-level": { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
    },
  });
  if (values.version) {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    process.stdout.write(`${pkg.version}\n`);
    return EXIT.ok;
  }
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const file = values.config ?? env.AMQP_LAMBDA_AGENT_CONFIG;
  if (!file)
    throw new ConfigError("", "no config file: pass --config <file> (or set AMQP_LAMBDA_AGENT_CONFIG)");
  const config = loadConfigFile(file, env);
  // TLS files are read now, so a missing one is a config error before anything starts.
  for (const agent of config.agents) socketOptions(agent, env);
  const scrubber = new SecretScrubber();
  scrubber.add(...config.secrets);
  if (env.AMQP_KEY_PASSPHRASE) scrubber.add(env.AMQP_KEY_PASSPHRASE);
  switch (command) {
    case "validate":
      process.stdout.write(
        `${scrubber.scrub(describeConfig(config))}\n\n${file}: valid (${config.agents.length} agent(s))\n`,
      );
      return EXIT.ok;
    case "run":
      return run(config, scrubber, values, env);
    case "redrive":
      return redriveCommand(config, values);
    default:
      throw new ConfigError("", `unknown command "${command}"; use run, validate or redrive`);
  }
}

async function run(
  config: LoadedConfig,
  scrubber: SecretScrubber,
  values: { "drain-timeout"?: string | undefined; "log-level"?: string | undefined },
  env: NodeJS.ProcessEnv,
): Promise<number> {
  let drainTimeoutMs: number | undefined;
  if (values["drain-timeout"] !== undefined) {
    drainTimeoutMs = parseDuration(values["drain-timeout"]);
    if (drainTimeoutMs === undefined)
      throw new ConfigError("--drain-timeout", 'expected a duration such as "10s"');
  }
  const level = values["log-level"] ?? env.LOG_LEVEL ?? config.options.logLevel ?? "info";
  const log = createLogger({
    level,
    pretty: Boolean(process.stdout.isTTY) && env.LOG_FORMAT !== "json",
    scrubber,
  });
  const running = await runAgents(config, log, scrubber);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.warn(`${signal} again: exiting now; the broker redelivers unacknowledged messages`);
      log.flush();
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    log.info(`${signal}: draining (send it again to exit at once)`);
    void running.stop(drainTimeoutMs);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const code = await running.finished;
  log.info({ exitCode: code }, code === 0 ? "stopped" : "stopped after a fatal error");
  await new Promise<void>((resolve) => log.flush(() => resolve()));
  // Everything is closed; exit now rather than wait on a socket some library keeps alive.
  process.exit(code);
}

async function redriveCommand(
  config: LoadedConfig,
  values: { agent?: string | undefined; limit?: string | undefined },
): Promise<number> {
  const limit = values.limit === undefined ? Number.POSITIVE_INFINITY : Number(values.limit);
  if (!Number.isInteger(limit) && limit !== Number.POSITIVE_INFINITY)
    throw new ConfigError("--limit", "expected a whole number");
  const agents = values.agent ? config.agents.filter((a) => a.name === values.agent) : config.agents;
  if (agents.length === 0) {
    throw new ConfigError(
      "--agent",
      `no agent named "${values.agent}"; the file has ${config.agents.map((a) => `"${a.name}"`).join(", ")}`,
    );
  }
  for (const agent of agents) {
    const result = await redrive(agent, limit, (p) =>
      process.stderr.write(
        `[${agent.name}] redrive: ${p.moved} moved, ${p.skipped} skipped, ${p.remaining} left in ${agent.amqp.deadLetterQueue}\n`,
      ),
    );
    process.stdout.write(
      `${agent.name}: moved ${result.moved} message(s) from ${agent.amqp.deadLetterQueue} back to ${agent.amqp.exchange}\n`,
    );
  }
  return EXIT.ok;
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (thrown: unknown) => {
    const error = toError(thrown);
    if (
      error instanceof ConfigError ||
      (error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
    ) {
      process.stderr.write(`amqp-lambda-agent: invalid configuration: ${error.message}\n`);
      process.exitCode = EXIT.usage;
    } else {
      const scrubbed =
        error instanceof AgentError
          ? error.message
          : error.message.replace(/\/\/([^:/@]*):[^@/]*@/g, "//$1:***@");
      process.stderr.write(`amqp-lambda-agent: ${scrubbed}\n`);
      process.exitCode = EXIT.runtime;
    }
  },
);
