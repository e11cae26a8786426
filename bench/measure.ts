import { readFileSync } from "node:fs";
import { epochMs } from "./protocol.js";

/** Clock ticks per second of /proc/<pid>/stat utime and stime (getconf CLK_TCK on Linux). */
const CLOCK_TICKS = 100;

/** User + system CPU seconds a process has used, or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** A field of /proc/<pid>/status in megabytes (VmHWM = peak RSS, VmRSS = current RSS). */
export function memoryMb(pid: number, field: "VmHWM" | "VmRSS"): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Busy and total CPU seconds of the whole machine (all cores) from /proc/stat. */
export function hostCpu(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] as string;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  // user nice system idle iowait irq softirq steal …: idle + iowait are not busy.
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
}

interface CpuSample {
  at: number;
  seconds: number;
}

/**
 * Samples a CPU-seconds counter (by default the summed CPU time of some processes) every
 * `intervalMs`, so the CPU spent between two instants observed elsewhere (the stub's first and last
 * invocation) can be interpolated.
 */
export class CpuSampler {
  private readonly samples: CpuSample[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly read: () => number;

  constructor(pids: readonly number[] | (() => number), intervalMs = 50) {
    this.read =
      typeof pids === "function"
        ? pids
        : () => {
            let seconds = 0;
            for (const pid of pids) seconds += cpuSeconds(pid) ?? 0;
            return seconds;
          };
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }

  /** CPU seconds used between two epoch-ms instants (linear interpolation between samples). */
  between(from: number, to: number): number {
    return this.at(to) - this.at(from);
  }

  private sample(): void {
    this.samples.push({ at: epochMs(), seconds: this.read() });
  }

  private at(time: number): number {
    const samples = this.samples;
    const first = samples[0] as CpuSample;
    if (time <= first.at) return first.seconds;
    for (let i = 1; i < samples.length; i += 1) {
      const next = samples[i] as CpuSample;
      if (next.at >= time) {
        const prev = samples[i - 1] as CpuSample;
        const share = next.at === prev.at ? 1 : (time - prev.at) / (next.at - prev.at);
        return prev.seconds + share * (next.seconds - prev.seconds);
      }
    }
    return (samples[samples.length - 1] as CpuSample).seconds;
  }
}

/** The p-th percentile (0..100) of some numbers, nearest-rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i += 1) {
    const dx = (xs[i] as number) - mx;
    num += dx * ((ys[i] as number) - my);
    den += dx * dx;
  }
  return den === 0 ? 0 : num / den;
}
