import type { Backend, CallReport, SendReport } from "../backends/backend.js";
import type { HeldMessage } from "../held/held-message.js";
import type { LogThrottle } from "../observability/log-throttle.js";
import type { Logger } from "../observability/logger.js";
import { type AgentMetrics, invocationResult } from "../observability/metrics.js";
import type { Happening } from "../policy/decide.js";
import type { RateLimiter } from "../policy/rate-limiter.js";
import type { Tracing } from "../tracing/index.js";
import { type DroppedPartCounter, errorTypeOf, TracedSend } from "./traced-send.js";

/** What one backend call came to for each of its messages, and what the call said of the platform. */
export interface BatchReport {
  happenings: Map<HeldMessage, Happening>;
  call: CallReport | undefined;
}

export interface BatchRunOptions {
  backend: Backend;
  limiter: RateLimiter;
  metrics: AgentMetrics;
  log: Logger;
  throttle: LogThrottle;
  /** With `auto_ack` messages of a closed channel are still the agent's to finish. */
  finishesDeadChannels: boolean;
  /** The process's tracing: a CONSUMER span per call, named after `destination` (the queue). */
  tracing: Tracing;
  destination: string;
}

/**
 * Sends one batch to the backend after the agent's rate limit, records the call, and tells what
 * happened to every message. Never throws. Messages whose channel closed before the call are not
 * sent: the broker redelivers them. Within an ordering lane, after a message failed, the later
 * ones of the batch did not count (SQS FIFO's rule).
 */
export async function runBatch(
  batch: readonly HeldMessage[],
  options: BatchRunOptions,
): Promise<BatchReport> {
  const { backend, metrics } = options;
  const happenings = new Map<HeldMessage, Happening>();
  const live: HeldMessage[] = [];
  for (const held of batch) {
    if (options.finishesDeadChannels || held.session.alive) live.push(held);
    else happenings.set(held, { kind: "channel_lost" });
  }
  if (live.length === 0) return { happenings, call: undefined };
  await options.limiter.acquire(live.length);
  const trace = options.tracing.startInvocation(live, options.destination);
  for (const [index, held] of live.entries()) {
    held.trace = trace;
    held.traceIndex = index;
  }
  const traced = options.tracing.mode === "off" ? undefined : new TracedSend(trace, countDropped(metrics));
  let report: SendReport;
  try {
    report = await backend.send(live, traced && { trace: traced });
  } catch (thrown) {
    traced?.endOpenCalls("crashed");
    trace.end("crashed");
    throw thrown;
  }
  traced?.endOpenCalls();
  const traceId = traced?.traceId;
  const call = report.call;
  if (call) {
    for (const made of report.calls ?? [call]) {
      metrics.invocation(invocationResult(made.outcome), made.backend ?? backend.label).inc();
    }
    if (call.durationMs !== undefined) metrics.invocationDuration.observe(call.durationMs / 1000);
    if (call.failure && call.outcome !== "too_large") {
      options.throttle.warn(
        options.log,
        `invoke:${call.outcome}:${call.failure.errorType}`,
        {
          outcome: call.outcome,
          errorType: call.failure.errorType,
          reason: call.failure.reason,
          batch: live.length,
          traceId,
        },
        `invocation of ${backend.label} failed: ${call.failure.errorType}: ${call.failure.message}`,
      );
    }
  }
  const failedLanes = new Set<string>();
  for (const held of live) {
    const outcome = report.results.get(held.id);
    let happening: Happening =
      outcome === undefined
        ? { kind: "crashed" }
        : outcome.kind === "split"
          ? { kind: "split", batchSize: batch.length }
          : outcome;
    if (happening.kind === "failed" && happening.failure.kind === "invalid_response") {
      options.throttle.error(
        options.log,
        "partial-batch-invalid",
        { reason: happening.failure.message, traceId },
        `whole batch failed: ${happening.failure.message}`,
      );
    }
    if (held.lane !== undefined) {
      if (failedLanes.has(held.lane)) happening = { kind: "not_delivered" };
      else if (happening.kind !== "succeeded") failedLanes.add(held.lane);
    }
    happenings.set(held, happening);
  }
  trace.end(call?.failure ? errorTypeOf(call) : allFailed(live, happenings));
  return { happenings, call };
}

/** The failure kind when every message of the call failed (the invocation failed as a whole). */
function allFailed(
  live: readonly HeldMessage[],
  happenings: Map<HeldMessage, Happening>,
): string | undefined {
  const first = happenings.get(live[0] as HeldMessage);
  if (first?.kind !== "failed") return undefined;
  return live.every((held) => happenings.get(held)?.kind === "failed") ? first.failure.kind : undefined;
}

/** Counts, by part, what Lambda's client-context limit left out of a call's trace context. */
const countDropped =
  (metrics: AgentMetrics): DroppedPartCounter =>
  (part) =>
    metrics.traceContextDropped(part).inc();
