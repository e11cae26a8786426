import type { CallReport } from "../backends/backend.js";
import type { CircuitBreaker } from "./circuit-breaker.js";
import type { ConcurrencyLimit } from "./concurrency-limit.js";
import type { Happening } from "./decide.js";

export interface CallEvidence {
  call: CallReport | undefined;
  /** What happened to each message of the call. */
  happenings: Iterable<[{ id: number }, Happening]>;
  /** Whether a message's failure is fresh evidence: its first attempt (redeliveries included). */
  fresh(message: { id: number }): boolean;
  /** The call was the breaker's probe; `repeat`: its message had already failed a probe. */
  probe: { repeat: boolean } | undefined;
}

/**
 * Feeds the circuit breaker and the concurrency limit with what one backend call said: a success
 * closes the breaker and lets the concurrency grow; function errors count per message, and only
 * on first attempts (an in-process retry, a retry queue's return, a set-aside or redriven copy is
 * no news about the platform); a call that failed as a whole is one piece of evidence, whatever
 * the batch size; a throttle lowers the concurrency (and counts towards the breaker only when it
 * persists after that).
 */
export function learnFromCall(
  evidence: CallEvidence,
  breaker: CircuitBreaker,
  limit: ConcurrencyLimit,
): void {
  const { call } = evidence;
  const probe = evidence.probe !== undefined;
  const repeat = evidence.probe?.repeat ?? false;
  if (!call) {
    if (probe) breaker.recordInconclusive();
    return;
  }
  const succeeded: number[] = [];
  const failed: number[] = [];
  let anySucceeded = false;
  let anyFailed = false;
  for (const [message, happening] of evidence.happenings) {
    if (happening.kind === "succeeded") {
      anySucceeded = true;
      if (evidence.fresh(message)) succeeded.push(message.id);
    } else if (happening.kind === "failed" && happening.scope === "ambiguous") {
      anyFailed = true;
      if (evidence.fresh(message)) failed.push(message.id);
    }
  }
  if (call.outcome === "ok") {
    limit.succeeded();
    if (anyFailed) breaker.recordFunctionErrors(failed, "items reported as failed", probe, repeat);
    if (anySucceeded) breaker.recordSuccess(succeeded);
    else if (!anyFailed) breaker.recordInconclusive(probe);
    return;
  }
  if (call.scope === "systemic") {
    const news = call.outcome === "throttled" ? limit.throttled(call.startedAt) : true;
    breaker.recordSystemic(call.reason, { evidence: news, probe });
  } else if (call.scope === "ambiguous") {
    breaker.recordFunctionErrors(failed.slice(0, 1), call.reason, probe, repeat);
  } else {
    breaker.recordInconclusive(probe);
  }
}
