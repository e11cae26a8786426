/** `npm run bench`'s start-up measure: spawn → first invocation, with one message waiting. */

import { median, memoryMb } from "./measure.js";
import type { ConsumerProcess } from "./processes.js";
import { type BenchContext, deadProcess, startConsumers } from "./run-scenario.js";
import type { Scenario, Variant } from "./scenarios.js";

export interface StartupResult {
  variant: string;
  samplesMs: number[];
  medianMs: number;
  maxMs: number;
  /** RSS of the process just after its first invocation (idle footprint), MB. */
  rssAfterFirstMb: number;
}

/** Spawn → first stub request, `repeats` times, with one message waiting in the queue. */
export async function measureStartup(ctx: BenchContext, v: Variant, repeats: number): Promise<StartupResult> {
  const s: Scenario = {
    key: "startup",
    title: "start-up",
    functionMs: 0,
    concurrency: 10,
    messages: 1,
    bytes: 128,
    latencyRate: 0,
    latencySeconds: 0,
    variants: [v],
  };
  const q = await ctx.broker.declare("startup");
  const samplesMs: number[] = [];
  let rssAfterFirstMb = 0;
  try {
    for (let i = 0; i < repeats; i += 1) {
      await ctx.broker.fill(q, 1, s.bytes);
      await ctx.stub.reset();
      const processes = startConsumers(ctx, s, v, q);
      try {
        const count = await ctx.stub.waitFor(1, 20_000, deadProcess(processes));
        const consumer = processes[0] as ConsumerProcess;
        samplesMs.push(count.firstAt - consumer.spawnedAt);
        await new Promise((resolve) => setTimeout(resolve, 200));
        rssAfterFirstMb = Math.max(rssAfterFirstMb, memoryMb(consumer.pid, "VmRSS") ?? 0);
      } finally {
        await Promise.all(processes.map((p) => p.stop()));
      }
    }
  } finally {
    await ctx.broker.delete(q);
  }
  return {
    variant: v.label,
    samplesMs,
    medianMs: median(samplesMs),
    maxMs: Math.max(...samplesMs),
    rssAfterFirstMb,
  };
}
