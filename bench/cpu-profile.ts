/**
 * Reads a V8 `.cpuprofile` (written by `node --cpu-prof`) and ranks frames by self time, optionally
 * within a window of the monotonic clock (the profile's timestamps are CLOCK_MONOTONIC µs, the same
 * clock as `process.hrtime`, so the orchestrator can cut out the drain phase of a run).
 * Run on its own: `node --import tsx bench/cpu-profile.ts <file.cpuprofile> [--top 5]`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FrameRow {
  /** `function (file:line)`; V8's pseudo-frames keep their names: (garbage collector), (program)… */
  frame: string;
  selfMs: number;
  /** Share of the busy (non-idle) samples in the window. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  /** Busy (non-idle) milliseconds sampled in the window. */
  busyMs: number;
  top: FrameRow[];
  /** Self time grouped by who owns the code: the agent (dist/), a package, Node's internals, V8. */
  owners: FrameRow[];
}

/** Monotonic microseconds now (the clock of `.cpuprofile` timestamps). */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

const ROOT = join(import.meta.dirname, "..");

function where(url: string): string {
  if (!url) return "";
  const path = url.startsWith("file://") ? new URL(url).pathname : url;
  if (path.startsWith("node:")) return path;
  const modules = path.lastIndexOf("/node_modules/");
  if (modules >= 0) return path.slice(modules + "/node_modules/".length);
  return relative(ROOT, path).replace(/^bench\/\.build\//, "");
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = where(url);
  if (!file) return functionName || "(anonymous)";
  return `${functionName || "(anonymous)"} (${file}:${lineNumber + 1})`;
}

function ownerOf(node: ProfileNode): string {
  const file = where(node.callFrame.url);
  if (!file) {
    const name = node.callFrame.functionName;
    // V8's pseudo-frames stay apart; other frames without a script are native built-ins (socket writes…).
    return name.startsWith("(") ? name : "native built-ins";
  }
  if (file.startsWith("node:")) return "node: internals";
  if (file.startsWith("dist/")) return "the agent (dist/)";
  if (!node.callFrame.url.includes("/node_modules/")) return file;
  const [scope, name] = file.split("/");
  return scope?.startsWith("@") ? `${scope}/${name}` : (scope ?? file);
}

function rank(totals: Map<string, number>, busyUs: number, top: number): FrameRow[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));
}

/**
 * Self time per frame between `fromUs` and `toUs` (monotonic µs; the whole profile when omitted).
 * Each sample owns the interval up to the next sample, as in Chrome's DevTools. `(idle)` is not CPU
 * and is left out of the ranking and of the shares.
 */
export function summarize(
  file: string,
  options: { fromUs?: number; toUs?: number; top?: number } = {},
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const from = options.fromUs ?? Number.NEGATIVE_INFINITY;
  const to = options.toUs ?? Number.POSITIVE_INFINITY;
  const frames = new Map<string, number>();
  const owners = new Map<string, number>();
  let busyUs = 0;
  let at = profile.startTime;
  const times = profile.timeDeltas.map((delta) => {
    at += delta;
    return at;
  });
  for (let i = 0; i < profile.samples.length; i += 1) {
    const start = times[i] as number;
    const end = i + 1 < times.length ? (times[i + 1] as number) : profile.endTime;
    if (start < from || start >= to) continue;
    const node = byId.get(profile.samples[i] as number);
    if (!node || node.callFrame.functionName === "(idle)") continue;
    const us = Math.max(0, end - start);
    busyUs += us;
    const name = frameName(node);
    frames.set(name, (frames.get(name) ?? 0) + us);
    const owner = ownerOf(node);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
  }
  const top = options.top ?? 5;
  return {
    file: relative(ROOT, file),
    busyMs: busyUs / 1000,
    top: rank(frames, busyUs, top),
    owners: rank(owners, busyUs, 8),
  };
}

/**
 * The newest profile a process with this pid wrote into `dir` (Node names them
 * CPU.<yyyymmdd>.<hhmmss>.<pid>.<tid>.<n>.cpuprofile).
 */
export function profileOf(dir: string, pid: number): string | undefined {
  const names = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile") && f.split(".")[3] === String(pid));
  const newest = names.sort().at(-1);
  return newest ? join(dir, newest) : undefined;
}

/** The summary as Markdown: the top frames, then self time by owner. */
export function profileTable(summary: ProfileSummary): string {
  const lines = [
    `CPU profile ${summary.file} (${summary.busyMs.toFixed(0)} ms busy in the window):`,
    "",
    "| # | frame (self time) | self ms | share |",
    "|--:|-------------------|--------:|------:|",
    ...summary.top.map(
      (row, i) =>
        `| ${i + 1} | \`${row.frame}\` | ${row.selfMs.toFixed(0)} | ${(row.share * 100).toFixed(1)}% |`,
    ),
    "",
    `By owner: ${summary.owners.map((row) => `${row.frame} ${(row.share * 100).toFixed(1)}%`).join(", ")}`,
  ];
  return lines.join("\n");
}

if (process.argv[1] === import.meta.filename) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: "string" }, from: { type: "string" }, to: { type: "string" } },
  });
  if (positionals.length === 0) {
    process.stderr.write(
      "usage: node --import tsx bench/cpu-profile.ts <file.cpuprofile>... [--top 5] [--from µs --to µs]\n",
    );
    process.exit(2);
  }
  for (const file of positionals) {
    const summary = summarize(file, {
      top: Number(values.top ?? 5),
      ...(values.from ? { fromUs: Number(values.from) } : {}),
      ...(values.to ? { toUs: Number(values.to) } : {}),
    });
    process.stdout.write(`${profileTable(summary)}\n\n`);
  }
}
