/**
 * CloudWatch Embedded Metric Format: one JSON log line per interval that the awslogs driver's log
 * group turns into metrics, with no API call and no IAM permission in the task. The names below
 * are the single source of truth for the Serverless plugin's autoscaling policy.
 *
 * Every task of a service runs the same agents, so each task sees the same queues:
 * - `Backlog` is the sum, over this task's distinct queues, of the ready messages. Read it with
 *   the Maximum statistic across tasks and the backlog counts once per queue, not once per task.
 *   A queue whose agents all have an open circuit breaker is left out: more pollers would only
 *   hit the failing function harder.
 * - `HeldMessages` is what this task holds (received, not settled), 0 for an agent whose breaker
 *   is open. Its Average across tasks is the held work per task.
 * So `Backlog / running tasks + HeldMessages` is the outstanding work per task.
 * - `DeadLettered` is how many messages this task dead-lettered since its previous line, open
 *   breaker or not: its Sum across tasks over a period is the service's dead letters in it.
 */

export const EMF_DEFAULT_NAMESPACE = "AmqpLambdaAgent";
/** The dimension that names the service (the plugin sets it to `<service>-<stage>`). */
export const EMF_SERVICE_DIMENSION = "Service";
export const EMF_UNIT = "Count";

export const EMF_METRICS = {
  backlog: { name: "Backlog", statistic: "Maximum" },
  held: { name: "HeldMessages", statistic: "Average" },
  openBreakers: { name: "OpenCircuitBreakers", statistic: "Maximum" },
  deadLettered: { name: "DeadLettered", statistic: "Sum" },
} as const;

export interface EmfAgentSnapshot {
  agent: string;
  queue: string;
  /** Ready messages in the queue at the last check; undefined when unknown (not connected). */
  backlog: number | undefined;
  /** Messages held by the agent; 0 when its circuit breaker is open. */
  held: number;
  breakerOpen: boolean;
  /** Messages the agent dead-lettered since the previous line. */
  deadLettered: number;
}

export interface EmfSnapshot {
  service?: string;
  namespace: string;
  timestampMs: number;
  agents: readonly EmfAgentSnapshot[];
}

const count = (value: number | undefined): number | undefined =>
  value !== undefined && Number.isFinite(value) && value >= 0 ? value : undefined;

/** The EMF document for one snapshot, as one line of JSON (no trailing newline). */
export function emfLine(snapshot: EmfSnapshot): string {
  const backlogByQueue = new Map<string, number>();
  let held = 0;
  let openBreakers = 0;
  let deadLettered = 0;
  for (const agent of snapshot.agents) {
    deadLettered += count(agent.deadLettered) ?? 0;
    if (agent.breakerOpen) {
      openBreakers += 1;
      continue;
    }
    held += count(agent.held) ?? 0;
    const backlog = count(agent.backlog);
    // Two agents on one queue see the same ready messages: count the queue once.
    if (backlog !== undefined) {
      backlogByQueue.set(agent.queue, Math.max(backlogByQueue.get(agent.queue) ?? 0, backlog));
    }
  }
  const queues = [...backlogByQueue.values()];
  const values: Record<string, number> = {
    ...(queues.length > 0 ? { [EMF_METRICS.backlog.name]: queues.reduce((a, b) => a + b, 0) } : {}),
    [EMF_METRICS.held.name]: held,
    [EMF_METRICS.openBreakers.name]: openBreakers,
    [EMF_METRICS.deadLettered.name]: deadLettered,
  };
  const dimensions = snapshot.service === undefined ? {} : { [EMF_SERVICE_DIMENSION]: snapshot.service };
  return JSON.stringify({
    _aws: {
      Timestamp: Math.trunc(snapshot.timestampMs),
      CloudWatchMetrics: [
        {
          Namespace: snapshot.namespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: Object.keys(values).map((name) => ({ Name: name, Unit: EMF_UNIT })),
        },
      ],
    },
    ...dimensions,
    ...values,
    // Not a metric: searchable in CloudWatch Logs Insights.
    backlogByQueue: Object.fromEntries(backlogByQueue),
  });
}
