import type { EmfOptions } from "../config/types.js";
import type { ObservedAgent } from "./agent-status.js";
import { emfLine } from "./emf.js";

/**
 * Writes one CloudWatch Embedded Metric Format line every `emf.interval` (the queue backlog and the
 * messages held, for autoscaling). `write` receives whole lines (stdout in the process).
 */
export function startEmfReporter(
  agents: readonly ObservedAgent[],
  options: EmfOptions,
  write: (line: string) => void,
): () => void {
  const report = () => {
    const agentsNow = agents.map((agent) => {
      const status = agent.status();
      const breakerOpen = status.circuit !== "closed";
      return {
        agent: agent.name,
        queue: status.queue,
        backlog: status.backlog,
        held: breakerOpen ? 0 : status.held,
        breakerOpen,
      };
    });
    write(
      `${emfLine({
        namespace: options.namespace,
        ...(options.service === undefined ? {} : { service: options.service }),
        timestampMs: Date.now(),
        agents: agentsNow,
      })}\n`,
    );
  };
  const timer = setInterval(report, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
