import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { type InvocationResult, RESULTS } from "./invocation-results.js";
import { replyMetricFamilies, replyMetricsOf } from "./reply-metrics.js";
import { traceContextDroppedCounter, traceContextDroppedOf } from "./trace-metrics.js";

export { type InvocationResult, invocationResult } from "./invocation-results.js";

/** One agent's series, bound to its label once (binding per message costs a label lookup each time). */
export type AgentMetrics = ReturnType<Metrics["forAgent"]>;

type Labels = "agent";

/**
 * Prometheus metrics of every agent in the process, labelled by agent. Also the source of the
 * periodic summary line, so the log and /metrics never disagree. Each name has one meaning (the
 * README's metrics table says which).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly received: Counter<Labels>;
  readonly succeeded: Counter<Labels>;
  readonly filtered: Counter<Labels>;
  readonly failed: Counter<Labels>;
  readonly acked: Counter<Labels>;
  readonly retried: Counter<Labels>;
  readonly delayed: Counter<Labels>;
  readonly setAside: Counter<Labels>;
  readonly deadLettered: Counter<Labels>;
  readonly requeued: Counter<Labels>;
  readonly rejected: Counter<Labels>;
  readonly returned: Counter<Labels>;
  readonly unsettled: Counter<Labels>;
  readonly lost: Counter<Labels>;
  readonly invocations: Counter<"agent" | "backend" | "outcome">;
  readonly invocationDuration: Histogram<Labels>;
  readonly held: Gauge<Labels>;
  readonly inFlight: Gauge<Labels>;
  readonly backlog: Gauge<Labels>;
  readonly reconnects: Counter<Labels>;
  readonly failovers: Counter<Labels>;
  readonly connectedNode: Gauge<"agent" | "node">;
  readonly state: Gauge<"agent" | "state">;
  readonly circuitState: Gauge<"agent" | "state">;
  readonly circuitOpenings: Counter<Labels>;
  readonly concurrencyLimit: Gauge<Labels>;
  readonly orderKeysWaiting: Gauge<Labels>;
  readonly oldestWait: Gauge<Labels>;
  readonly lastSuccess: Gauge<Labels>;
  readonly largePayloadOrphans: Counter<Labels>;
  readonly traceContextDropped = traceContextDroppedCounter(this.registry);
  readonly replyFamilies = replyMetricFamilies(this.registry);

  constructor() {
    const registers = [this.registry];
    const counter = (name: string, help: string) =>
      new Counter<Labels>({ name: `amqp_lambda_agent_${name}`, help, labelNames: ["agent"], registers });
    const gauge = (name: string, help: string) =>
      new Gauge<Labels>({ name: `amqp_lambda_agent_${name}`, help, labelNames: ["agent"], registers });
    this.received = counter("messages_received_total", "Messages delivered by the broker");
    this.succeeded = counter(
      "messages_succeeded_total",
      "Messages the function handled successfully (auto_ack too)",
    );
    this.filtered = counter(
      "messages_filtered_total",
      "Messages no filter pattern matched: acked without an invocation",
    );
    this.failed = counter(
      "messages_failed_total",
      "Messages whose last attempt of a round failed (then: retry queue or failure policy)",
    );
    this.acked = counter(
      "messages_acked_total",
      "basic.ack sent to the broker (after success, filtering, or a confirmed copy)",
    );
    this.retried = counter("messages_retried_total", "In-process retries of a message after its own failure");
    this.delayed = counter("messages_delayed_total", "Messages published to a retry queue (retry_delays)");
    this.setAside = counter(
      "messages_set_aside_total",
      "Messages set aside behind the queue's tail after failing a circuit-breaker probe (open on function errors)",
    );
    this.deadLettered = counter(
      "messages_dead_lettered_total",
      "Messages published to the dead-letter queue",
    );
    this.requeued = counter(
      "messages_requeued_total",
      "Failed messages rejected with requeue (failure_policy requeue)",
    );
    this.rejected = counter(
      "messages_rejected_total",
      "Failed messages rejected without requeue (queue DLX or dropped)",
    );
    this.returned = counter(
      "messages_returned_total",
      "Messages handed back without a failure (drain, long breaker opening, a copy that could not be published)",
    );
    this.unsettled = counter(
      "messages_unsettled_total",
      "Results dropped because their channel had closed (the broker redelivers them)",
    );
    this.lost = counter(
      "messages_lost_total",
      "auto_ack messages that failed and could not be dead-lettered, or were not finished before exit",
    );
    this.invocations = new Counter({
      name: "amqp_lambda_agent_invocations_total",
      help: "Backend calls (Lambda invocations, HTTP requests) by backend and outcome",
      labelNames: ["agent", "backend", "outcome"],
      registers,
    });
    this.reconnects = counter("reconnects_total", "Reconnect rounds after a connection failed or was lost");
    this.failovers = counter(
      "failovers_total",
      "Connections made to another cluster node than the previous connection's",
    );
    this.circuitOpenings = counter("circuit_openings_total", "Times the circuit breaker opened");
    this.largePayloadOrphans = counter(
      "large_payload_orphans_total",
      "Bodies uploaded to S3 (large_payload) that could not be deleted after 4 tries: left to the lifecycle rule",
    );
    this.invocationDuration = new Histogram({
      name: "amqp_lambda_agent_invocation_duration_seconds",
      help: "Lambda Invoke call duration",
      labelNames: ["agent"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.held = gauge(
      "held_messages",
      "Messages received and not yet settled (waiting, in an invocation, or being settled)",
    );
    this.inFlight = gauge("in_flight", "Messages in an invocation now");
    this.backlog = gauge("queue_backlog", "Ready messages in the queue at the last health check");
    this.concurrencyLimit = gauge(
      "concurrency_limit",
      "Invocations allowed at once (workers, lowered while Lambda throttles)",
    );
    this.orderKeysWaiting = gauge(
      "order_keys_waiting",
      "Ordering keys (order_key) with messages waiting for their turn",
    );
    this.oldestWait = gauge(
      "oldest_wait_seconds",
      "How long the longest-held message not yet settled has been held",
    );
    this.lastSuccess = gauge("last_success_timestamp_seconds", "Unix time of the last successful invocation");
    this.state = new Gauge({
      name: "amqp_lambda_agent_consumer_state",
      help: "1 for the agent's current lifecycle state",
      labelNames: ["agent", "state"],
      registers,
    });
    this.circuitState = new Gauge({
      name: "amqp_lambda_agent_circuit_state",
      help: "1 for the circuit breaker's current state",
      labelNames: ["agent", "state"],
      registers,
    });
    this.connectedNode = new Gauge({
      name: "amqp_lambda_agent_connected_node",
      help: "1 for the broker node (host:port) the agent is connected to",
      labelNames: ["agent", "node"],
      registers,
    });
  }

  /** One agent's series; `backends` are its backends' labels (the function name, `METHOD host+url_pattern`). */
  forAgent(agent: string, backends: readonly string[] = [""]) {
    const labels = { agent };
    const results = new Map(
      backends.map((backend) => [
        backend,
        Object.fromEntries(
          RESULTS.map((outcome) => [outcome, this.invocations.labels({ agent, backend, outcome })]),
        ),
      ]),
    );
    // Every counter starts at 0 for the agent: an alert's increase() sees the first dead letter too.
    const bind = <T extends { labels(labels: { agent: string }): unknown }>(metric: T) => {
      const bound = metric.labels(labels) as ReturnType<T["labels"]>;
      if (metric instanceof Counter) (bound as { inc(n: number): void }).inc(0);
      return bound;
    };
    for (const byOutcome of results.values()) for (const result of Object.values(byOutcome)) result.inc(0);
    const first = results.values().next().value as Record<string, { inc(n?: number): void }>;
    this.invocationDuration.zero(labels);
    return {
      received: bind(this.received),
      succeeded: bind(this.succeeded),
      filtered: bind(this.filtered),
      failed: bind(this.failed),
      acked: bind(this.acked),
      retried: bind(this.retried),
      delayed: bind(this.delayed),
      setAside: bind(this.setAside),
      deadLettered: bind(this.deadLettered),
      requeued: bind(this.requeued),
      rejected: bind(this.rejected),
      returned: bind(this.returned),
      unsettled: bind(this.unsettled),
      lost: bind(this.lost),
      reconnects: bind(this.reconnects),
      failovers: bind(this.failovers),
      circuitOpenings: bind(this.circuitOpenings),
      invocationDuration: bind(this.invocationDuration),
      held: bind(this.held),
      inFlight: bind(this.inFlight),
      backlog: bind(this.backlog),
      concurrencyLimit: bind(this.concurrencyLimit),
      orderKeysWaiting: bind(this.orderKeysWaiting),
      oldestWait: bind(this.oldestWait),
      lastSuccess: bind(this.lastSuccess),
      largePayloadOrphans: bind(this.largePayloadOrphans),
      traceContextDropped: traceContextDroppedOf(this.traceContextDropped, agent),
      replies: replyMetricsOf(this.replyFamilies, agent),
      /** A backend call's outcome; `backend` one of the labels given (else the first). */
      invocation: (result: InvocationResult, backend?: string) =>
        ((backend === undefined ? undefined : results.get(backend)) ?? first)[result] as ReturnType<
          Counter<"agent" | "backend" | "outcome">["labels"]
        >,
      state: (state: string, value: number) => this.state.set({ agent, state }, value),
      circuit: (state: string, value: number) => this.circuitState.set({ agent, state }, value),
      /** The node the agent is connected to now (`undefined`: none). */
      node: (node: string | undefined) => {
        const previous = this.nodeOf.get(agent);
        if (previous !== undefined) this.connectedNode.remove({ agent, node: previous });
        if (node === undefined) this.nodeOf.delete(agent);
        else {
          this.connectedNode.set({ agent, node }, 1);
          this.nodeOf.set(agent, node);
        }
      },
    };
  }

  private readonly nodeOf = new Map<string, string>();

  /** Counter value for one agent (summary line, tests). */
  async value(counter: Counter<Labels>, agent: string): Promise<number> {
    const data = await counter.get();
    return data.values.find((v) => v.labels.agent === agent)?.value ?? 0;
  }
}
