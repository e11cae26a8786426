import type { RunResult, StartupResult } from "./run-scenario.js";

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | undefined;
}

const find = (runs: readonly RunResult[], scenario: string, variant: string) =>
  runs.find((r) => r.scenario === scenario && r.variant === variant && !r.error);

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const times = (x: number) => `${x.toFixed(2)}x`;

/** The targets, each checked against this run's measurements (undefined: not measured). */
export function checkTargets(runs: readonly RunResult[], startup: readonly StartupResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const w100 = find(runs, "50ms-w100", "agent");
  checks.push({
    target: "50ms x100: agent >= 95% of 2,000 msg/s",
    measured: w100 ? `${w100.rate.toFixed(0)} msg/s = ${pct(w100.efficiency ?? 0)}` : "not measured",
    met: w100 ? (w100.efficiency ?? 0) >= 0.95 : undefined,
  });
  const base = find(runs, "instant-c10", "baseline");
  const agent = find(runs, "instant-c10", "agent");
  if (base && agent) {
    const through = agent.rate / base.rate;
    const cpu = agent.cpuPer10k / base.cpuPer10k;
    checks.push({
      target: "0ms x10: agent throughput >= 0.9x baseline",
      measured: `${times(through)} (${agent.rate.toFixed(0)} vs ${base.rate.toFixed(0)} msg/s)`,
      met: through >= 0.9,
    });
    checks.push({
      target: "0ms x10: agent CPU/msg <= 1.2x baseline",
      measured: `${times(cpu)} (${agent.cpuPer10k.toFixed(2)} vs ${base.cpuPer10k.toFixed(2)} s/10k)`,
      met: cpu <= 1.2,
    });
  } else {
    checks.push({ target: "0ms x10: agent vs baseline", measured: "not measured", met: undefined });
  }
  const b1 = find(runs, "batch-w10", "agent batch 1");
  const b10 = find(runs, "batch-w10", "agent batch 10");
  checks.push({
    target: "batch 10 >= 5x batch 1 throughput (x10 workers)",
    measured:
      b1 && b10
        ? `${times(b10.rate / b1.rate)} (${b10.rate.toFixed(0)} vs ${b1.rate.toFixed(0)} msg/s)`
        : "not measured",
    met: b1 && b10 ? b10.rate / b1.rate >= 5 : undefined,
  });
  const big = find(runs, "256kb-w500", "agent");
  checks.push({
    target: "256 KB x500 in flight: agent peak RSS < 150 MB",
    measured: big ? `${big.peakRssMb.toFixed(1)} MB` : "not measured",
    met: big ? big.peakRssMb < 150 : undefined,
  });
  const start = startup.find((s) => s.variant === "agent");
  checks.push({
    target: "agent start-up to first invocation < 1 s",
    measured: start
      ? `median ${start.medianMs.toFixed(0)} ms, max ${start.maxMs.toFixed(0)} ms`
      : "not measured",
    met: start ? start.maxMs < 1000 : undefined,
  });
  return checks;
}
