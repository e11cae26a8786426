import type { ObservedAgent } from "./agent-status.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

/**
 * Logs one line per agent every interval: throughput (messages finished: succeeded, failed or
 * filtered, per second), what it holds, failures, backlog, and what is unusual (an open circuit
 * breaker, throttled concurrency, a node other than the first, ordering lanes waiting). Numbers come
 * from the metrics registry, so the log and /metrics never disagree.
 */
export function startSummary(
  agents: readonly ObservedAgent[],
  loggers: Map<string, Logger>,
  metrics: Metrics,
  intervalMs: number,
): () => void {
  const previous = new Map<string, { finished: number; at: number }>();
  const timer = setInterval(() => void logSummaries().catch(() => undefined), intervalMs);
  async function logSummaries(): Promise<void> {
    for (const agent of agents) {
      const name = agent.name;
      const [received, succeeded, failed, filtered, deadLettered, delayed] = await Promise.all(
        [
          metrics.received,
          metrics.succeeded,
          metrics.failed,
          metrics.filtered,
          metrics.deadLettered,
          metrics.delayed,
        ].map((counter) => metrics.value(counter, name)),
      );
      const finished = (succeeded ?? 0) + (failed ?? 0) + (filtered ?? 0);
      const now = performance.now();
      const before = previous.get(name) ?? { finished: 0, at: now - intervalMs };
      const seconds = Math.max(0.001, (now - before.at) / 1000);
      const rate = (finished - before.finished) / seconds;
      previous.set(name, { finished, at: now });
      const status = agent.status();
      const waits = agent.waits();
      const notes: string[] = [];
      if (status.circuit !== "closed") notes.push(`circuit breaker ${status.circuit.replace("_", "-")}`);
      if (status.publisher === "blocked")
        notes.push("publishing blocked by the broker (resource alarm): failed messages wait held");
      if (status.hold !== "none" && status.hold !== "breaker_open" && status.hold !== "publisher_blocked")
        notes.push(`consumer held: ${status.hold.replace("_", " ")}`);
      if (status.concurrencyLimit < status.workers)
        notes.push(`concurrency ${status.concurrencyLimit} of ${status.workers} (throttled)`);
      if (status.node && !status.onFirstNode) notes.push(`on ${status.node}, not the first node`);
      if (status.ordered && waits.lanes > 0)
        notes.push(`${waits.lanes} key(s) waiting, oldest ${(waits.oldestWaitMs / 1000).toFixed(1)}s`);
      if ((filtered ?? 0) > 0) notes.push(`${filtered} filtered`);
      if ((status.heldReplies ?? 0) > 0)
        notes.push(`${status.heldReplies} held replies (waiting for a publish)`);
      loggers.get(name)?.info(
        {
          summary: true,
          state: status.state,
          ratePerSecond: Number(rate.toFixed(1)),
          inFlight: status.inFlight,
          held: status.held,
          phases: status.phases,
          ...(status.heldReplies === undefined ? {} : { heldReplies: status.heldReplies }),
          hold: status.hold,
          publisher: status.publisher,
          received,
          succeeded,
          failed,
          filtered,
          deadLettered,
          delayed,
          backlog: status.backlog,
          circuit: status.circuit,
          concurrencyLimit: status.concurrencyLimit,
          node: status.node,
          keysWaiting: waits.lanes,
          oldestWaitSeconds: Number((waits.oldestWaitMs / 1000).toFixed(1)),
        },
        `${status.state}: ${rate.toFixed(1)} msg/s, ${status.inFlight} in flight, ${status.held} held, ${failed} failed (${deadLettered} dead-lettered, ${delayed} to retry queues), backlog ${status.backlog ?? "?"}; held ${status.phases.waiting} waiting, ${status.phases.running} running, ${status.phases.settling} settling${notes.length > 0 ? `; ${notes.join("; ")}` : ""}`,
      );
    }
  }
  timer.unref();
  return () => clearInterval(timer);
}
