import { Counter, Gauge, Histogram, Registry } from "prom-client";

const RESULTS = ["ok", "function_error", "throttled", "timeout", "network", "other"] as const;

export type InvocationResult = (typeof RESULTS)[number];

/** One agent's series, bound to its label once (binding per message costs a label lookup each time). */
export type AgentMetrics = ReturnType<Metrics["forAgent"]>;

/**
 * Prometheus metrics of every agent in the process, labelled by agent. Also the source of the
 * periodic summary line, so the log and /metrics never disagree.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly received: Counter<"agent">;
  readonly acked: Counter<"agent">;
  readonly retried: Counter<"agent">;
  readonly deadLettered: Counter<"agent">;
  readonly requeued: Counter<"agent">;
  readonly rejected: Counter<"agent">;
  readonly failed: Counter<"agent">;
  readonly dropped: Counter<"agent">;
  readonly invocations: Counter<"agent" | "outcome">;
  readonly invocationDuration: Histogram<"agent">;
  readonly inFlight: Gauge<"agent">;
  readonly backlog: Gauge<"agent">;
  readonly reconnects: Counter<"agent">;
  readonly state: Gauge<"agent" | "state">;
  readonly lastDelivery: Gauge<"agent">;

  constructor() {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({ name: `amqp_lambda_agent_${name}`, help, labelNames, registers });
    this.received = counter("messages_received_total", "Messages delivered by the broker", ["agent"]);
    this.acked = counter("messages_acked_total", "Messages acknowledged after a successful invocation", [
      "agent",
    ]);
    this.retried = counter("messages_retried_total", "Message invocation retries", ["agent"]);
    this.deadLettered = counter(
      "messages_dead_lettered_total",
      "Messages published to the dead-letter queue",
      ["agent"],
    );
    this.requeued = counter("messages_requeued_total", "Messages nacked back onto the queue", ["agent"]);
    this.rejected = counter(
      "messages_rejected_total",
      "Messages nacked without requeue (queue DLX or dropped)",
      ["agent"],
    );
    this.failed = counter("messages_failed_total", "Messages whose last attempt failed", ["agent"]);
    this.dropped = counter(
      "messages_unsettled_total",
      "Results dropped because their channel had closed (the broker redelivers them)",
      ["agent"],
    );
    this.invocations = counter("invocations_total", "Lambda invocations by outcome", ["agent", "outcome"]);
    this.reconnects = counter("reconnects_total", "Broker reconnect attempts", ["agent"]);
    this.invocationDuration = new Histogram({
      name: "amqp_lambda_agent_invocation_duration_seconds",
      help: "Lambda Invoke call duration",
      labelNames: ["agent"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.inFlight = new Gauge({
      name: "amqp_lambda_agent_in_flight",
      help: "Messages received and not yet settled",
      labelNames: ["agent"],
      registers,
    });
    this.backlog = new Gauge({
      name: "amqp_lambda_agent_queue_backlog",
      help: "Ready messages in the queue at the last health check",
      labelNames: ["agent"],
      registers,
    });
    this.state = new Gauge({
      name: "amqp_lambda_agent_consumer_state",
      help: "1 for the agent's current lifecycle state",
      labelNames: ["agent", "state"],
      registers,
    });
    this.lastDelivery = new Gauge({
      name: "amqp_lambda_agent_last_success_timestamp_seconds",
      help: "Unix time of the last successful delivery to the function",
      labelNames: ["agent"],
      registers,
    });
  }

  forAgent(agent: string) {
    const labels = { agent };
    const results = Object.fromEntries(
      RESULTS.map((outcome) => [outcome, this.invocations.labels({ agent, outcome })]),
    );
    return {
      received: this.received.labels(labels),
      acked: this.acked.labels(labels),
      retried: this.retried.labels(labels),
      deadLettered: this.deadLettered.labels(labels),
      requeued: this.requeued.labels(labels),
      rejected: this.rejected.labels(labels),
      failed: this.failed.labels(labels),
      dropped: this.dropped.labels(labels),
      reconnects: this.reconnects.labels(labels),
      invocationDuration: this.invocationDuration.labels(labels),
      inFlight: this.inFlight.labels(labels),
      backlog: this.backlog.labels(labels),
      lastDelivery: this.lastDelivery.labels(labels),
      invocation: (result: InvocationResult) =>
        results[result] as ReturnType<Counter<"agent" | "outcome">["labels"]>,
      state: (state: string, value: number) => this.state.set({ agent, state }, value),
    };
  }

  /** Counter value for one agent (summary line, tests). */
  async value(counter: Counter<"agent">, agent: string): Promise<number> {
    const data = await counter.get();
    return data.values.find((v) => v.labels.agent === agent)?.value ?? 0;
  }
}

export function invocationResult(kind: string): InvocationResult {
  switch (kind) {
    case "ok":
    case "function_error":
    case "throttled":
    case "timeout":
    case "network":
      return kind;
    case "server_error":
      return "network";
    default:
      return "other";
  }
}
