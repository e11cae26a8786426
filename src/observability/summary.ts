import type { Agent } from "../agent/agent.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

/**
 * Logs one line per agent every interval: rate, in flight, failures, backlog. Numbers come from
 * the metrics registry, so the log and /metrics agree.
 */
export function startSummary(
  agents: readonly Agent[],
  loggers: Map<string, Logger>,
  metrics: Metrics,
  intervalMs: number,
): () => void {
  const previous = new Map<string, { acked: number; failed: number; at: number }>();
  const timer = setInterval(() => void logSummaries().catch(() => undefined), intervalMs);
  async function logSummaries(): Promise<void> {
    for (const agent of agents) {
      const name = agent.name;
      const [received, acked, failed, deadLettered] = await Promise.all([
        metrics.value(metrics.received, name),
        metrics.value(metrics.acked, name),
        metrics.value(metrics.failed, name),
        metrics.value(metrics.deadLettered, name),
      ]);
      const now = performance.now();
      const before = previous.get(name) ?? { acked: 0, failed: 0, at: now - intervalMs };
      const seconds = Math.max(0.001, (now - before.at) / 1000);
      const rate = (acked - before.acked + failed - before.failed) / seconds;
      previous.set(name, { acked, failed, at: now });
      const status = agent.status();
      loggers.get(name)?.info(
        {
          summary: true,
          state: status.state,
          ratePerSecond: Number(rate.toFixed(1)),
          inFlight: status.inFlight,
          held: status.held,
          received,
          acked,
          failed,
          deadLettered,
          backlog: status.backlog,
        },
        `${status.state}: ${rate.toFixed(1)} msg/s, ${status.inFlight} in flight, ${failed} failed (${deadLettered} dead-lettered), backlog ${status.backlog ?? "?"}`,
      );
    }
  }
  timer.unref();
  return () => clearInterval(timer);
}
