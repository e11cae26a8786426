import type { StartupResult } from "./measure-startup.js";
import type { RunResult } from "./run-scenario.js";

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | undefined;
}

/** The lean invoke path against the SDK path, both inside the agent, in one scenario of this run. */
export interface ClientComparison {
  scenario: string;
  throughput: number;
  cpuPerMessage: number;
  peakRss: number;
  measured: string;
}

const find = (runs: readonly RunResult[], scenario: string, variant: string) =>
  runs.find((r) => r.scenario === scenario && r.variant === variant && !r.error);

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const times = (x: number) => `${x.toFixed(2)}x`;
const msgs = (r: RunResult) => `${r.rate.toFixed(0)} msg/s`;
const notMeasured = (target: string): TargetCheck => ({ target, measured: "not measured", met: undefined });

/**
 * The 256 KB scenario's throughput before the lean path (Node 20, 2026-11-25: 382 msg/s, 76.5% of
 * the 500 msg/s limit). The only target not read against a baseline of the same run: the old agent
 * is not in this run, so the share of the limit is compared (the machine's speed varies day to day).
 */
const BIG_MESSAGES_BEFORE = 0.765;

/** Issue 12's targets, each checked against this run's measurements (undefined: not measured). */
export function checkTargets(runs: readonly RunResult[], startup: readonly StartupResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const base = find(runs, "instant-c10", "baseline");
  const agent = find(runs, "instant-c10", "agent");
  if (base && agent) {
    const cpu = agent.cpuPer10k / base.cpuPer10k;
    const through = agent.rate / base.rate;
    checks.push({
      target: "0ms x10: agent CPU/msg <= 0.5x the SDK loop's",
      measured: `${times(cpu)} (${agent.cpuPer10k.toFixed(2)} vs ${base.cpuPer10k.toFixed(2)} s/10k)`,
      met: cpu <= 0.5,
    });
    checks.push({
      target: "0ms x10: agent throughput >= 1.5x the SDK loop's",
      measured: `${times(through)} (${msgs(agent)} vs ${msgs(base)})`,
      met: through >= 1.5,
    });
  } else {
    checks.push(notMeasured("0ms x10: agent vs the SDK loop (CPU/msg, throughput)"));
  }

  const w100 = find(runs, "50ms-w100", "agent");
  const tuned = find(runs, "50ms-w100", "baseline 100 sockets");
  const floor = find(runs, "50ms-w100", "floor undici");
  const floorShare = floor ? ` (floor loop: ${pct(floor.efficiency ?? 0)})` : "";
  checks.push(
    w100
      ? {
          target: "50ms x100: agent >= 95% of 2,000 msg/s",
          measured: `${msgs(w100)} = ${pct(w100.efficiency ?? 0)}${floorShare}`,
          met: (w100.efficiency ?? 0) >= 0.95,
        }
      : notMeasured("50ms x100: agent >= 95% of 2,000 msg/s"),
  );
  checks.push(
    w100 && tuned
      ? {
          target: "50ms x100: agent >= the 100-socket SDK loop",
          measured: `${times(w100.rate / tuned.rate)} (${msgs(w100)} vs ${msgs(tuned)})`,
          met: w100.rate >= tuned.rate,
        }
      : notMeasured("50ms x100: agent >= the 100-socket SDK loop"),
  );

  const httpAgent = find(runs, "http-50ms-w100", "agent http backend");
  const httpLoop = find(runs, "http-50ms-w100", "baseline undici");
  checks.push(
    httpAgent
      ? {
          target: "HTTP 50ms x100: agent >= 95% of 2,000 msg/s",
          measured: `${msgs(httpAgent)} = ${pct(httpAgent.efficiency ?? 0)}`,
          met: (httpAgent.efficiency ?? 0) >= 0.95,
        }
      : notMeasured("HTTP 50ms x100: agent >= 95% of 2,000 msg/s"),
  );
  checks.push(
    httpAgent && httpLoop
      ? {
          target: "HTTP 50ms x100: agent CPU/msg <= the undici loop's",
          measured: `${times(httpAgent.cpuPer10k / httpLoop.cpuPer10k)} (${httpAgent.cpuPer10k.toFixed(2)} vs ${httpLoop.cpuPer10k.toFixed(2)} s/10k)`,
          met: httpAgent.cpuPer10k <= httpLoop.cpuPer10k,
        }
      : notMeasured("HTTP 50ms x100: agent CPU/msg <= the undici loop's"),
  );

  const big = find(runs, "256kb-w500", "agent");
  checks.push(
    big
      ? {
          target: "256 KB x500 in flight: agent peak RSS <= 420 MB",
          measured: `${big.peakRssMb.toFixed(0)} MB`,
          met: big.peakRssMb <= 420,
        }
      : notMeasured("256 KB x500 in flight: agent peak RSS <= 420 MB"),
  );
  checks.push(
    big
      ? {
          target: `256 KB x500: throughput as before (>= ${pct(BIG_MESSAGES_BEFORE)} of limit; earlier run)`,
          measured: `${msgs(big)} = ${pct(big.efficiency ?? 0)}`,
          met: (big.efficiency ?? 0) >= BIG_MESSAGES_BEFORE,
        }
      : notMeasured("256 KB x500: throughput as before"),
  );

  for (const scenario of ["instant-c10", "50ms-w100"]) {
    const a = find(runs, scenario, "agent");
    // The best baseline of the scenario (the 100-socket loop where there is one).
    const baselines = runs.filter(
      (r) => r.scenario === scenario && !r.error && r.variant.startsWith("baseline"),
    );
    const best = baselines.sort((x, y) => x.p99Ms - y.p99Ms)[0];
    const target = `${a?.title ?? scenario}: agent p99 added latency <= the SDK loop's`;
    checks.push(
      a && best
        ? {
            target,
            measured: `${a.p99Ms.toFixed(1)} vs ${best.p99Ms.toFixed(1)} ms (${best.variant}) at ${a.latencyRate} msg/s`,
            met: a.p99Ms <= best.p99Ms,
          }
        : notMeasured(target),
    );
  }

  const start = startup.find((s) => s.variant === "agent");
  checks.push(
    start
      ? {
          target: "agent start-up to first invocation < 1 s",
          measured: `median ${start.medianMs.toFixed(0)} ms, max ${start.maxMs.toFixed(0)} ms`,
          met: start.maxMs < 1000,
        }
      : notMeasured("agent start-up to first invocation < 1 s"),
  );

  const b1 = find(runs, "batch-w10", "agent batch 1");
  const b10 = find(runs, "batch-w10", "agent batch 10");
  checks.push(
    b1 && b10
      ? {
          target: "batch 10 >= 5x batch 1 throughput (x10 workers)",
          measured: `${times(b10.rate / b1.rate)} (${msgs(b10)} vs ${msgs(b1)})`,
          met: b10.rate / b1.rate >= 5,
        }
      : notMeasured("batch 10 >= 5x batch 1 throughput (x10 workers)"),
  );
  checks.push(...tracingTargets(runs), ...replyTargets(runs));
  return checks;
}

/**
 * Issue 20's target, in the same run: what replies add to p50 at 500 msg/s. Read twice: at invoke
 * start, like every latency here (replies hold a prefetch slot one confirm longer); and as publish →
 * reply delivered against the plain agent's publish → invoke start, which holds the whole reply
 * path (the function's response, the publish, the delivery to the requester): an upper bound.
 */
function replyTargets(runs: readonly RunResult[]): TargetCheck[] {
  const plain = find(runs, "reply-c10", "agent");
  const replies = find(runs, "reply-c10", "agent replies");
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const target = "replies: p50 added <= 2 ms at 500 msg/s";
  if (!plain || !replies) return [notMeasured(target)];
  const added = replies.p50Ms - plain.p50Ms;
  const whole = (replies.replyP50Ms ?? Number.NaN) - plain.p50Ms;
  return [
    {
      target: `${target} (publish -> invoke start)`,
      measured: `${ms(added)} (p50 ${ms(replies.p50Ms)} vs ${ms(plain.p50Ms)}, p99 ${ms(replies.p99Ms)} vs ${ms(plain.p99Ms)})`,
      met: added <= 2,
    },
    {
      target: `${target} (publish -> reply delivered, upper bound)`,
      measured: `${ms(whole)} (reply p50 ${ms(replies.replyP50Ms ?? Number.NaN)}, p99 ${ms(replies.replyP99Ms ?? Number.NaN)})`,
      met: whole <= 2,
    },
  ];
}

/** Issue 21's targets: the agent's CPU per message with tracing against tracing off, in one run. */
function tracingTargets(runs: readonly RunResult[]): TargetCheck[] {
  const off = find(runs, "tracing-c10", "tracing off");
  return (
    [
      ["propagation", 1.03],
      ["export", 1.1],
    ] as const
  ).map(([variant, limit]) => {
    const target = `0ms x10 traced: CPU/msg with ${variant} <= ${times(limit)} tracing off`;
    const on = find(runs, "tracing-c10", variant);
    if (!off || !on) return notMeasured(target);
    const ratio = on.cpuPer10k / off.cpuPer10k;
    return {
      target,
      measured: `${times(ratio)} (${on.cpuPer10k.toFixed(3)} vs ${off.cpuPer10k.toFixed(3)} s/10k)`,
      met: ratio <= limit,
    };
  });
}

/** `client: "http"` (default) against `client: "sdk"`, per scenario that runs both. */
export function compareClients(runs: readonly RunResult[]): ClientComparison[] {
  const rows: ClientComparison[] = [];
  for (const lean of runs.filter((r) => r.variant === "agent" && !r.error)) {
    const sdk = find(runs, lean.scenario, "agent sdk");
    if (!sdk) continue;
    const throughput = lean.rate / sdk.rate;
    const cpuPerMessage = lean.cpuPer10k / sdk.cpuPer10k;
    const peakRss = lean.peakRssMb / sdk.peakRssMb;
    rows.push({
      scenario: lean.title,
      throughput,
      cpuPerMessage,
      peakRss,
      measured: `throughput ${times(throughput)}, CPU/msg ${times(cpuPerMessage)}, peak RSS ${times(peakRss)}`,
    });
  }
  return rows;
}
