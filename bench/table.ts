import type { StartupResult } from "./measure-startup.js";
import type { RunResult } from "./run-scenario.js";
import type { ClientComparison, TargetCheck } from "./targets.js";

const int = (x: number) => Math.round(x).toLocaleString("en-US");
const fixed = (x: number | undefined, digits = 1) =>
  x === undefined || Number.isNaN(x) ? "-" : x.toFixed(digits);

function render(header: readonly string[], rows: readonly string[][], rightFrom = 2): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i >= rightFrom ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i >= rightFrom ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** The results as a Markdown table. */
export function runTable(runs: readonly RunResult[]): string {
  const header = [
    "scenario",
    "consumer",
    "msgs",
    "msg/s",
    "of limit",
    "p50 ms",
    "p99 ms",
    "@ msg/s",
    "CPU s/10k",
    "peak RSS MB",
    "host busy",
    "runs",
  ];
  const rows = runs.map((r) =>
    r.error
      ? [r.title, r.variant, int(r.messages), "error", r.error.slice(0, 60), "", "", "", "", "", "", ""]
      : [
          r.title,
          r.variant,
          int(r.messages),
          int(r.rate),
          r.efficiency === undefined ? "-" : `${(r.efficiency * 100).toFixed(1)}%`,
          fixed(r.p50Ms),
          fixed(r.p99Ms),
          int(r.latencyRate),
          fixed(r.cpuPer10k, 2),
          fixed(r.peakRssMb),
          `${fixed(r.hostBusyCores, 2)} cores`,
          String(r.rounds ?? 1),
        ],
  );
  return render(header, rows);
}

export function startupTable(startup: readonly StartupResult[]): string {
  return render(
    ["start-up", "consumer", "median ms", "max ms", "samples ms", "RSS after 1st MB"],
    startup.map((s) => [
      "spawn -> first invoke",
      s.variant,
      int(s.medianMs),
      int(s.maxMs),
      s.samplesMs.map((x) => int(x)).join(", "),
      fixed(s.rssAfterFirstMb),
    ]),
  );
}

export function targetTable(checks: readonly TargetCheck[]): string {
  return render(
    ["target", "measured", "met"],
    checks.map((c) => [c.target, c.measured, c.met === undefined ? "n/a" : c.met ? "yes" : "NO"]),
    3,
  );
}

export function clientTable(rows: readonly ClientComparison[]): string {
  return render(
    ["scenario", "agent client http / client sdk", "throughput", "CPU/msg", "peak RSS"],
    rows.map((r) => [
      r.scenario,
      "same agent, same run",
      `${r.throughput.toFixed(2)}x`,
      `${r.cpuPerMessage.toFixed(2)}x`,
      `${r.peakRss.toFixed(2)}x`,
    ]),
  );
}
