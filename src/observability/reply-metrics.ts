import { Counter, Histogram, type Registry } from "prom-client";

/** Why a reply was not published (one label value each). */
export const REPLY_FAILURE_REASONS = [
  /** The broker returned it: no queue bound (reply_to: the requester went away; it is dropped). */
  "unroutable",
  /** The results exchange does not exist (404). */
  "exchange_not_found",
  /** The broker refused it (403, another channel error). */
  "refused",
  /** No connection, a nack, or no confirm in time. */
  "error",
  /** Given up at the drain timeout (with `auto_ack`: the reply is lost). */
  "abandoned",
] as const;
export type ReplyFailureReason = (typeof REPLY_FAILURE_REASONS)[number];

export interface ReplyMetricFamilies {
  published: Counter<"agent">;
  failures: Counter<"agent" | "reason">;
  duration: Histogram<"agent">;
}

/** `amqp_lambda_agent_replies_published_total`, `…_reply_failures_total{reason}`, `…_reply_publish_duration_seconds`. */
export function replyMetricFamilies(registry: Registry): ReplyMetricFamilies {
  const registers = [registry];
  return {
    published: new Counter({
      name: "amqp_lambda_agent_replies_published_total",
      help: "Replies (the function's results) confirmed by the broker",
      labelNames: ["agent"],
      registers,
    }),
    failures: new Counter({
      name: "amqp_lambda_agent_reply_failures_total",
      help: "Reply publishes that failed (retried, except unroutable in reply_to mode and abandoned), by reason",
      labelNames: ["agent", "reason"],
      registers,
    }),
    duration: new Histogram({
      name: "amqp_lambda_agent_reply_publish_duration_seconds",
      help: "From a reply's publish to the broker's confirm",
      labelNames: ["agent"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
      registers,
    }),
  };
}

/** One agent's reply series, each starting at 0. */
export function replyMetricsOf(families: ReplyMetricFamilies, agent: string) {
  const failures = new Map(
    REPLY_FAILURE_REASONS.map((reason) => [reason, families.failures.labels({ agent, reason })]),
  );
  for (const bound of failures.values()) bound.inc(0);
  const published = families.published.labels({ agent });
  published.inc(0);
  families.duration.zero({ agent });
  return {
    published,
    duration: families.duration.labels({ agent }),
    failure: (reason: ReplyFailureReason) =>
      failures.get(reason) as ReturnType<ReplyMetricFamilies["failures"]["labels"]>,
  };
}
