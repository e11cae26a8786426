import type { Server } from "node:http";
import { Agent } from "../agent/agent.js";
import type { TlsMaterial } from "../amqp/connect-options.js";
import type { LoadedConfig, TracingConfig } from "../config/types.js";
import { startEmfReporter } from "../observability/emf-reporter.js";
import { startHealthServer } from "../observability/health-server.js";
import { agentLogger, type Logger } from "../observability/logger.js";
import { Metrics } from "../observability/metrics.js";
import type { SecretScrubber } from "../observability/redact.js";
import { startSummary } from "../observability/summary.js";
import { createTracing, KRAKEND_TELEMETRY_NOTE, type Tracing, type TracingEnv } from "../tracing/index.js";

export interface RunningAgents {
  agents: Agent[];
  metrics: Metrics;
  /** The health/metrics server's address (its port, when the config asked for port 0). */
  http: { host: string; port: number } | undefined;
  /** Resolves with the process exit code: 0 after a drain, 1 when an agent gave up on the broker. */
  finished: Promise<number>;
  /** Graceful stop of every agent (idempotent). */
  stop(drainTimeoutMs?: number): Promise<void>;
}

/**
 * Starts every agent of a config, the health/metrics server and the periodic summary. `env` is read
 * for the standard OTEL_* variables only (span export).
 */
export async function runAgents(
  config: LoadedConfig,
  tls: ReadonlyMap<string, TlsMaterial>,
  log: Logger,
  scrubber: SecretScrubber,
  env: TracingEnv = {},
): Promise<RunningAgents> {
  const metrics = new Metrics();
  const tracing = await startTracing(config.options.tracing, env, log);
  const loggers = new Map(config.agents.map((a) => [a.name, agentLogger(log, a.name)]));
  const agents = config.agents.map(
    (a) =>
      new Agent({
        config: a,
        registry: metrics,
        log: loggers.get(a.name) as Logger,
        tls: tls.get(a.name) ?? {},
        tracing,
      }),
  );
  let server: Server | undefined;
  let http: RunningAgents["http"];
  if (config.options.http.enabled) {
    const { host, port, unhealthyAfterMs } = config.options.http;
    const started = await startHealthServer(
      host,
      port,
      { statuses: () => agents.map((a) => a.status()), unhealthyAfterMs },
      metrics,
      scrubber,
    );
    server = started.server;
    http = { host, port: started.port };
    log.info(
      { host, port: started.port },
      `health and metrics on http://${host}:${started.port} (/healthz, /readyz, /metrics)`,
    );
  }
  const stopSummary = startSummary(agents, loggers, metrics, config.options.summaryIntervalMs);
  // "auto" was settled by the caller (the CLI knows the environment).
  const stopEmf =
    config.options.emf.enabled === true
      ? startEmfReporter({
          agents,
          emf: config.options.emf,
          deadLettered: (agent) => metrics.value(metrics.deadLettered, agent),
          write: (line) => process.stdout.write(line),
        })
      : () => undefined;
  let stopping: Promise<void> | undefined;
  let resolveFinished: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    resolveFinished = resolve;
  });
  const stop = (drainTimeoutMs?: number) => {
    stopping ??= (async () => {
      stopSummary();
      stopEmf();
      await Promise.all(agents.map((a) => a.stop(drainTimeoutMs)));
      await tracing.shutdown();
      const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server?.closeAllConnections();
      await closed;
    })();
    return stopping;
  };
  for (const agent of agents) {
    void agent.failed.then(async () => {
      await stop(0);
      resolveFinished(1);
    });
  }
  for (const agent of agents) agent.start();
  return {
    agents,
    metrics,
    http,
    finished,
    stop: async (drainTimeoutMs) => {
      await stop(drainTimeoutMs);
      resolveFinished(0);
    },
  };
}

/** The process's tracing, its start-up notes logged once. */
async function startTracing(options: TracingConfig, env: TracingEnv, log: Logger): Promise<Tracing> {
  const tracing = await createTracing(options, env);
  if (options.krakendTelemetry) log.info({ tracing: tracing.mode }, KRAKEND_TELEMETRY_NOTE);
  for (const note of tracing.notes) log.info({ tracing: tracing.mode }, `tracing: ${note}`);
  return tracing;
}
