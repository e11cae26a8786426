import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
}

export function describeMachine(): Machine {
  let model = cpus()[0]?.model ?? "unknown";
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (match?.[1]) model = match[1].trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    nproc: cpus().length,
    cpuModel: model,
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
  };
}
