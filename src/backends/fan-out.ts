import type {
  Backend,
  CallReport,
  Failure,
  MessageOutcome,
  OutgoingMessage,
  SendExtras,
  SendReport,
} from "./backend.js";

/** A member that gave no outcome for the message and no failure for its call. */
const NOT_TAKEN: Failure = {
  kind: "server_error",
  errorType: "NoOutcome",
  message: "the backend gave no outcome for the message",
  durationMs: 0,
};

/** Which failure says most about the platform: the breaker hears that one. */
const SCOPE_RANK = { systemic: 0, ambiguous: 1, message: 2 } as const;

/**
 * Several backends as one, KrakenD's way (in parallel; in order with `sequential`, stopping at the
 * first failure) but without its traps: a message succeeds when every backend that wants it
 * succeeded; a retry calls only the backends that failed (`backendsDone`, kept while the message is
 * held and carried on retry copies). One message per call (batches need a single backend). The
 * send's trace goes to every member as it is: each starts its own call (span, headers of its kind).
 */
export function createFanOut(
  members: readonly Backend[],
  options: { sequential: boolean; replyBackend?: number },
): Backend {
  const label = members.map((m) => m.label).join(" + ");
  const replyBackend = options.replyBackend ?? 0;
  /** The reply backend's answer, kept while a retry calls the others. */
  const replyOf = new WeakMap<OutgoingMessage, MessageOutcome>();

  async function sendOne(
    out: OutgoingMessage,
    extras?: SendExtras,
  ): Promise<{ outcome: MessageOutcome; calls: CallReport[] }> {
    const done = out.backendsDone ?? new Set<number>();
    const targets = members
      .map((backend, index) => ({ backend, index }))
      .filter(({ index }) => !done.has(index) && (out.backendsWanted?.has(index) ?? true));
    const calls: CallReport[] = [];
    const failures: Array<{ failure: Failure; scope: "message" | "systemic" | "ambiguous"; index: number }> =
      [];
    const call = async ({ backend, index }: (typeof targets)[number]) => {
      const report = await backend.send([out], extras);
      if (report.call) calls.push({ ...report.call, backend: backend.label });
      const outcome = report.results.get(out.id);
      if (outcome?.kind === "succeeded") {
        done.add(index);
        if (index === replyBackend) replyOf.set(out, outcome);
      } else if (outcome?.kind === "failed") {
        failures.push({ failure: outcome.failure, scope: outcome.scope, index });
      } else {
        // No outcome for the message (the call failed as a whole, or a split): it did not take it.
        failures.push({
          failure: report.call?.failure ?? NOT_TAKEN,
          scope: report.call?.scope ?? "systemic",
          index,
        });
      }
      return outcome?.kind === "succeeded";
    };
    if (options.sequential) {
      for (const target of targets) if (!(await call(target))) break;
    } else {
      await Promise.all(targets.map(call));
    }
    if (failures.length === 0) {
      return {
        outcome: replyOf.get(out) ?? {
          kind: "succeeded",
          // The reply backend did not want the message (its filter): nothing to reply with.
          response: { body: undefined, contentType: undefined, withoutReply: true },
        },
        calls,
      };
    }
    failures.sort((a, b) => SCOPE_RANK[a.scope] - SCOPE_RANK[b.scope]);
    const worst = failures[0] as (typeof failures)[number];
    const names = failures.map((f) => (members[f.index] as Backend).label).join(", ");
    const failure: Failure = {
      ...worst.failure,
      message: `backend ${names} failed: ${worst.failure.message}`,
    };
    return { outcome: { kind: "failed", failure, scope: worst.scope }, calls };
  }

  return {
    label,
    labels: members.map((m) => m.label),
    batchSize: 1,
    batchWindowMs: 0,
    maxRetries: Math.max(...members.map((m) => m.maxRetries)),
    maxBatchBytes: Math.min(...members.map((m) => m.maxBatchBytes)),
    sizeOf: (out) => Math.max(...members.map((m) => m.sizeOf(out))),
    async send(batch, extras): Promise<SendReport> {
      const results = new Map<number, MessageOutcome>();
      const calls: CallReport[] = [];
      for (const out of batch) {
        const one = await sendOne(out, extras);
        results.set(out.id, one.outcome);
        calls.push(...one.calls);
      }
      return { results, call: mergeCalls(calls), calls };
    },
    released(out) {
      for (const member of members) member.released?.(out);
    },
    async close() {
      await Promise.all(members.map((member) => member.close()));
    },
  };
}

/** The calls of one message as one report: a failure the platform's first, else the first call's. */
function mergeCalls(calls: readonly CallReport[]): CallReport | undefined {
  if (calls.length === 0) return undefined;
  const failed = calls
    .filter((c) => c.outcome !== "ok")
    .sort((a, b) => SCOPE_RANK[a.scope ?? "message"] - SCOPE_RANK[b.scope ?? "message"]);
  const chosen = failed[0] ?? (calls[0] as CallReport);
  return { ...chosen, startedAt: Math.min(...calls.map((c) => c.startedAt)) };
}
