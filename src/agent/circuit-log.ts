import type { LogThrottle } from "../observability/log-throttle.js";
import type { Logger } from "../observability/logger.js";
import type { AgentMetrics } from "../observability/metrics.js";
import { CIRCUIT_STATES, type CircuitTransition } from "../policy/circuit-breaker.js";

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
