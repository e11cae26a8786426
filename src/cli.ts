#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { readTlsMaterial, type TlsMaterial } from "./amqp/connect-options.js";
import { redrive } from "./commands/redrive.js";
import { runAgents } from "./commands/run-agents.js";
import { loadConfigFile, parseDuration, resolveConfig } from "./config/index.js";
import { parseJson, splitAddress } from "./config/load-config.js";
import type { LoadedConfig } from "./config/types.js";
import { describeConfig } from "./describe-config.js";
import { describeTracing } from "./describe-tracing.js";
import { AgentError, ConfigError, toError } from "./errors.js";
import { createLogger } from "./observability/logger.js";
import { redactUrlsInText, SecretScrubber } from "./observability/redact.js";

const USAGE = `Usage: amqp-lambda-agent <command> [--config <file>] [options]

Commands:
  run        consume every agent's queue and invoke its Lambda function until SIGTERM/SIGINT
  validate   check a config file and print the resolved topology (exit 0 valid, 2 invalid)
  redrive    move dead-lettered messages back onto their exchange

Config: --config <file>, else AMQP_LAMBDA_AGENT_CONFIG (a file), else AMQP_LAMBDA_AGENT_CONFIG_JSON (the JSON).

Options:
  --config, -c <file>      KrakenD-style JSON config ({"async_agent": [...]}, or a whole krakend.json)
  --agent <name>           redrive: the agent whose dead-letter queue to drain (default: every agent)
  --limit <n>              redrive: move at most n messages per agent
  --drain-timeout <dur>    run: how long a stop waits for in-flight invocations (default: consumer.drain_timeout)
  --http-address <h:p>     run: serve /healthz, /readyz, /metrics here (also AMQP_LAMBDA_AGENT_HTTP_ADDRESS;
                           port 0 picks a free port)
  --log-level <level>      trace|debug|info|warn|error (default: config, then LOG_LEVEL, then info)
  --help, --version

Exit codes: 0 ok, 1 runtime failure (broker unreachable after max_retries, a queue missing with
declare: false, the HTTP address taken), 2 invalid config or usage.`;

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
      "http-address": { type: "string" },
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
  const { config, source } = loadConfig(values.config, env);
  const httpAddress = values["http-address"] ?? env.AMQP_LAMBDA_AGENT_HTTP_ADDRESS;
  if (httpAddress !== undefined) {
    const where = values["http-address"] !== undefined ? "--http-address" : "AMQP_LAMBDA_AGENT_HTTP_ADDRESS";
    Object.assign(config.options.http, splitAddress(httpAddress, where), { enabled: true });
  }
  // EMF lines are for CloudWatch: "auto" means on when running on ECS.
  if (config.options.emf.enabled === "auto")
    config.options.emf.enabled = Boolean(env.ECS_CONTAINER_METADATA_URI_V4);
  // TLS files are read now, so a missing one is a config error before anything starts.
  const tls = new Map<string, TlsMaterial>(
    config.agents.map((agent) => [agent.name, readTlsMaterial(agent, env)]),
  );
  const scrubber = new SecretScrubber();
  scrubber.add(...config.secrets);
  if (env.AMQP_KEY_PASSPHRASE) scrubber.add(env.AMQP_KEY_PASSPHRASE);
  switch (command) {
    case "validate":
      process.stdout.write(
        `${scrubber.scrub(`${describeConfig(config)}\n\n${describeTracing(config.options.tracing, env)}`)}\n\n${source}: valid (${config.agents.length} agent(s))\n`,
      );
      return EXIT.ok;
    case "run":
      return run(config, tls, scrubber, values, env);
    case "redrive":
      return redriveCommand(config, tls, values);
    default:
      throw new ConfigError("", `unknown command "${command}"; use run, validate or redrive`);
  }
}

function loadConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
): { config: LoadedConfig; source: string } {
  const path = file ?? env.AMQP_LAMBDA_AGENT_CONFIG;
  if (path) return { config: loadConfigFile(path, env), source: path };
  const json = env.AMQP_LAMBDA_AGENT_CONFIG_JSON;
  if (json) {
    return {
      config: resolveConfig(parseJson(json, "AMQP_LAMBDA_AGENT_CONFIG_JSON"), env),
      source: "AMQP_LAMBDA_AGENT_CONFIG_JSON",
    };
  }
  throw new ConfigError(
    "",
    "no config: pass --config <file>, or set AMQP_LAMBDA_AGENT_CONFIG (a file) or AMQP_LAMBDA_AGENT_CONFIG_JSON (the JSON)",
  );
}

async function run(
  config: LoadedConfig,
  tls: ReadonlyMap<string, TlsMaterial>,
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
  const running = await runAgents(config, tls, log, scrubber, env);
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
  tls: ReadonlyMap<string, TlsMaterial>,
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
    const result = await redrive(agent, tls.get(agent.name) ?? {}, limit, (p) =>
      process.stderr.write(
        `[${agent.name}] redrive: ${p.moved} moved, ${p.skipped} skipped, ${p.remaining} left in ${agent.amqp.deadLetterQueue}\n`,
      ),
    );
    process.stdout.write(
      `${agent.name}: moved ${result.moved} message(s) from ${agent.amqp.deadLetterQueue} back to their exchange\n`,
    );
  }
  return EXIT.ok;
}

/** Errors on stderr lose URL passwords and the TLS passphrase, whatever produced them. */
function scrubbed(text: string, env: NodeJS.ProcessEnv): string {
  const scrubber = new SecretScrubber();
  if (env.AMQP_KEY_PASSPHRASE) scrubber.add(env.AMQP_KEY_PASSPHRASE);
  return scrubber.scrub(redactUrlsInText(text));
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (thrown: unknown) => {
    const error = toError(thrown);
    if (
      error instanceof ConfigError ||
      (error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ||
      (error as { code?: string }).code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE"
    ) {
      process.stderr.write(
        `amqp-lambda-agent: invalid configuration: ${scrubbed(error.message, process.env)}\n`,
      );
      process.exitCode = EXIT.usage;
    } else {
      const message = error instanceof AgentError ? error.message : scrubbed(error.message, process.env);
      process.stderr.write(`amqp-lambda-agent: ${scrubbed(message, process.env)}\n`);
      process.exitCode = EXIT.runtime;
    }
  },
);
