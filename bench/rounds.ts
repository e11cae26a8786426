/** A variant's result when it failed, and the median of a variant's interleaved rounds. */
import { median } from "./measure.js";
import type { RunResult } from "./run-scenario.js";
import type { Scenario, Variant } from "./scenarios.js";

/** A variant's run that failed twice. */
export function failedRun(s: Scenario, v: Variant, error: string): RunResult {
  return {
    scenario: s.key,
    title: s.title,
    variant: v.label,
    processes: 1,
    messages: v.messages ?? s.messages,
    invocations: 0,
    duplicates: 0,
    seconds: 0,
    rate: 0,
    limit: undefined,
    efficiency: undefined,
    latencyRate: s.latencyRate,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    cpuPer10k: Number.NaN,
    stubCpuPer10k: Number.NaN,
    hostBusyCores: Number.NaN,
    turnaroundP50Ms: Number.NaN,
    turnaroundP99Ms: Number.NaN,
    stubHoldMs: Number.NaN,
    prefetch: 0,
    peakRssMb: Number.NaN,
    pids: [],
    drainUs: [0, 0],
    error,
  };
}

/**
 * One result for a variant run in several rounds (interleaved with the other variants, so a
 * machine that speeds up or slows down during the run affects all of them alike): the median of
 * each measure, the highest peak RSS. A round that failed is left out; all failed: the first.
 */
export function medianOfRounds(results: readonly RunResult[]): RunResult {
  const ok = results.filter((r) => !r.error);
  const first = (ok[0] ?? results[0]) as RunResult;
  if (ok.length <= 1) return first;
  const mid = (pick: (r: RunResult) => number) => median(ok.map(pick));
  const rate = mid((r) => r.rate);
  return {
    ...first,
    invocations: mid((r) => r.invocations),
    duplicates: Math.max(...ok.map((r) => r.duplicates)),
    seconds: mid((r) => r.seconds),
    rate,
    efficiency: first.limit ? rate / first.limit : undefined,
    p50Ms: mid((r) => r.p50Ms),
    p99Ms: mid((r) => r.p99Ms),
    cpuPer10k: mid((r) => r.cpuPer10k),
    stubCpuPer10k: mid((r) => r.stubCpuPer10k),
    hostBusyCores: mid((r) => r.hostBusyCores),
    turnaroundP50Ms: mid((r) => r.turnaroundP50Ms),
    turnaroundP99Ms: mid((r) => r.turnaroundP99Ms),
    stubHoldMs: mid((r) => r.stubHoldMs),
    ...(first.replyP50Ms === undefined
      ? {}
      : {
          replyP50Ms: mid((r) => r.replyP50Ms ?? Number.NaN),
          replyP99Ms: mid((r) => r.replyP99Ms ?? Number.NaN),
        }),
    peakRssMb: Math.max(...ok.map((r) => r.peakRssMb)),
    pids: ok.flatMap((r) => r.pids),
    profiles: ok.flatMap((r) => r.profiles ?? []),
    rounds: ok.length,
    perRound: ok.map((r) => ({
      rate: r.rate,
      cpuPer10k: r.cpuPer10k,
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      ...(r.replyP50Ms === undefined ? {} : { replyP50Ms: r.replyP50Ms, replyP99Ms: r.replyP99Ms }),
      hostBusyCores: r.hostBusyCores,
      peakRssMb: r.peakRssMb,
    })),
  };
}
