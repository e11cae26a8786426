/** The CPU profiles of a profiled bench run, summarized for the progress output. */
import { type ProfileSummary, profileOf, summarize } from "./cpu-profile.js";
import type { RunResult } from "./run-scenario.js";

export const indent = (text: string) =>
  text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");

/** The top frames of each agent process of a profiled run, within its drain. */
export function profilesOf(r: RunResult, say: (line: string) => void): ProfileSummary[] {
  const dir = r.profileDir as string;
  return r.pids.flatMap((pid) => {
    const file = profileOf(dir, pid);
    if (!file) {
      say(`    (no CPU profile of process ${pid} in ${dir})`);
      return [];
    }
    return [summarize(file, { fromUs: r.drainUs[0], toUs: r.drainUs[1], top: 5 })];
  });
}
