import type { BrokerConnection } from "../amqp/broker-connection.js";
import { nodeAddress } from "../amqp/connect-options.js";
import type { Publisher } from "../amqp/publisher.js";
import { startupConfigNotes } from "../amqp/topology.js";
import type { AgentConfig } from "../config/types.js";
import type { LogThrottle } from "../observability/log-throttle.js";
import type { Logger } from "../observability/logger.js";
import type { AgentMetrics } from "../observability/metrics.js";
import { CIRCUIT_STATES, type CircuitTransition } from "../policy/circuit-breaker.js";
import { startupNotes, startupWarnings } from "./startup-warnings.js";

/** Metrics and log lines of a circuit-breaker transition. */
export function reportCircuit(
  transition: CircuitTransition,
  metrics: AgentMetrics,
  log: Logger,
  throttle: LogThrottle,
): void {
  const { to, cause, detail } = transition;
  for (const state of CIRCUIT_STATES) metrics.circuit(state, state === to ? 1 : 0);
  if (to === "open" && (cause === "probe_failed" || cause === "probe_inconclusive")) {
    throttle.warn(log, "circuit-probe", { circuit: to, cause }, `circuit breaker still open: ${detail}`);
  } else if (to === "open") {
    metrics.circuitOpenings.inc();
    log.warn(
      { circuit: to, cause },
      `circuit breaker open: ${detail}; new messages stay in the queue, held ones keep their attempts; probing`,
    );
  } else if (to === "closed" && transition.from !== "closed") {
    log.info({ circuit: to, cause }, `circuit breaker closed: ${detail}; consuming at full speed again`);
  }
}

/**
 * Log lines and metrics of an agent's two connections: reconnect rounds (the first ten, then every
 * tenth), and resource alarms on the consuming and on the publishing connection.
 */
export function logConnections(
  config: AgentConfig,
  connection: BrokerConnection,
  publisher: Publisher,
  metrics: AgentMetrics,
  log: Logger,
): void {
  connection.on("reconnecting", ({ round, delayMs }) => {
    metrics.reconnects.inc();
    const limit = Number.isFinite(config.connection.maxRetries)
      ? String(config.connection.maxRetries)
      : "unlimited";
    if (round <= 10 || round % 10 === 0) {
      log.warn(
        { round, delayMs, maxRetries: limit },
        `reconnecting to ${config.amqp.urls.map(nodeAddress).join(", ")} in ${delayMs}ms (round ${round} of ${limit})`,
      );
    }
  });
  connection.on("blocked", (reason) =>
    log.warn(
      { reason },
      `the broker blocked the connection (resource alarm: ${reason}); waiting, not reconnecting`,
    ),
  );
  connection.on("unblocked", () => log.info("the broker unblocked the connection"));
  let publisherBlocked = false;
  publisher.on("state", (state, { reason, node }) => {
    if (state === "blocked") {
      log.warn(
        { reason, node },
        `the broker blocked the publishing connection (resource alarm: ${reason}); consuming goes on, failed messages wait held until it clears`,
      );
    } else if (state === "ready" && publisherBlocked) {
      log.info({ node }, "the broker unblocked the publishing connection");
    }
    publisherBlocked = state === "blocked";
  });
}

/** The line that says an agent consumes again: its queue, node and bindings. */
export function logConsuming(
  config: AgentConfig,
  info: { node: string; nodeIndex: number },
  log: Logger,
): void {
  const { amqp } = config;
  const bindings = amqp.bindings.map((b) => `"${b.routingKey}"`).join(", ");
  const which = info.nodeIndex > 0 ? ` (node ${info.nodeIndex + 1} of the list)` : "";
  log.info(
    { queue: amqp.queue, exchange: amqp.exchange, node: info.node },
    `consuming ${amqp.queue} on ${info.node}${which} (exchange ${amqp.exchange}${bindings ? `, binding ${bindings}` : ""})`,
  );
}

/** The drain ran out of time with messages still held. */
export function logDrainTimeout(
  config: AgentConfig,
  left: number,
  drainTimeoutMs: number,
  log: Logger,
): void {
  log.warn(
    { held: left, drainTimeoutMs },
    config.amqp.autoAck
      ? `drain timeout: ${left} auto_ack message(s) unfinished; the broker no longer has them: they are lost`
      : `drain timeout: closing with ${left} message(s) unsettled; the broker redelivers them`,
  );
}

/** Said once at start-up: settings that work but can bite, and fields that have no effect here. */
export function logStartup(config: AgentConfig, log: Logger): void {
  for (const warning of [startupConfigNotes(config), ...startupWarnings(config)])
    if (warning) log.warn(warning);
  for (const note of startupNotes(config)) log.info(note);
}

/** The consume channel or connection went away; `discarded` messages of it were given up here. */
export function logChannelLost(throttle: LogThrottle, log: Logger, error: Error, discarded: number): void {
  throttle.warn(
    log,
    "connection-lost",
    { err: error, discarded },
    `lost the broker channel: ${error.message}; reconnecting`,
  );
}
