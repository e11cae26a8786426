import type { CallReport } from "../backends/backend.js";
import type { CircuitBreaker } from "./circuit-breaker.js";
import type { ConcurrencyLimit } from "./concurrency-limit.js";
import type { Happening } from "./decide.js";

/**
 * Feeds the circuit breaker and the concurrency limit with what one backend call said: a success
 * closes the breaker and lets the concurrency grow; items reported failed count per message; a
 * call that failed as a whole is one piece of evidence, whatever the batch size; a throttle lowers
 * the concurrency (and counts towards the breaker only when it persists after that).
 */
export function learnFromCall(
  call: CallReport | undefined,
  happenings: Iterable<[{ id: number }, Happening]>,
  probe: boolean,
  breaker: CircuitBreaker,
  limit: ConcurrencyLimit,
): void {
  if (!call) {
    if (probe) breaker.recordInconclusive();
    return;
  }
  const succeeded: number[] = [];
  const failed: number[] = [];
  for (const [message, happening] of happenings) {
    if (happening.kind === "succeeded") succeeded.push(message.id);
    else if (happening.kind === "failed" && happening.scope === "ambiguous") failed.push(message.id);
  }
  if (call.outcome === "ok") {
    limit.succeeded();
    if (failed.length > 0) breaker.recordFunctionErrors(failed, "items reported as failed", probe);
    if (succeeded.length > 0) breaker.recordSuccess(succeeded);
    else if (failed.length === 0) breaker.recordInconclusive(probe);
    return;
  }
  if (call.scope === "systemic") {
    const evidence = call.outcome === "throttled" ? limit.throttled(call.startedAt) : true;
    breaker.recordSystemic(call.reason, evidence, probe);
  } else if (call.scope === "ambiguous") {
    breaker.recordFunctionErrors(failed.slice(0, 1), call.reason, probe);
  } else {
    breaker.recordInconclusive(probe);
  }
}
