import type { EmfOptions } from "../config/types.js";
import type { ObservedAgent } from "./agent-status.js";
import { emfLine } from "./emf.js";

export interface EmfReporterOptions {
  agents: readonly ObservedAgent[];
  emf: EmfOptions;
  /** How many messages an agent has dead-lettered since it started (a counter that only grows). */
  deadLettered(agent: string): Promise<number>;
  /** Receives whole lines (stdout in the process). */
  write(line: string): void;
}

/**
 * Writes one CloudWatch Embedded Metric Format line every `emf.interval`: the queue backlog and the
 * messages held (for autoscaling), open circuit breakers, and the dead letters since the previous
 * line (for alarms).
 */
export function startEmfReporter({ agents, emf, deadLettered, write }: EmfReporterOptions): () => void {
  const reported = new Map<string, number>();
  const report = async () => {
    const agentsNow = await Promise.all(
      agents.map(async (agent) => {
        const status = agent.status();
        const breakerOpen = status.circuit !== "closed";
        const total = await deadLettered(agent.name);
        const since = Math.max(0, total - (reported.get(agent.name) ?? 0));
        reported.set(agent.name, total);
        return {
          agent: agent.name,
          queue: status.queue,
          backlog: status.backlog,
          held: breakerOpen ? 0 : status.held,
          breakerOpen,
          deadLettered: since,
        };
      }),
    );
    write(
      `${emfLine({
        namespace: emf.namespace,
        ...(emf.service === undefined ? {} : { service: emf.service }),
        timestampMs: Date.now(),
        agents: agentsNow,
      })}\n`,
    );
  };
  // A line that cannot be built is skipped; the next one carries its dead letters.
  const timer = setInterval(() => void report().catch(() => undefined), emf.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
