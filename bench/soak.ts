import { agentConfig, awsEnv } from "./agent-config.js";
import type { BenchBroker } from "./broker.js";
import { memoryMb, slope } from "./measure.js";
import { ConsumerProcess } from "./processes.js";
import type { StubClient } from "./stub-client.js";

export interface SoakResult {
  seconds: number;
  messages: number;
  rate: number;
  peakRssMb: number;
  /** RSS slope after the first minute (or first quarter), MB per minute. */
  slopeMbPerMin: number;
  samples: Array<{ t: number; rssMb: number }>;
}

const BYTES = 256 * 1024;
const WORKERS = 500;
const BACKLOG = 700;

/**
 * Soak: one agent, 256 KB messages, 500 workers and a 1 s function, with the queue topped up to
 * keep 500 messages in flight for `seconds`. Samples RSS every 5 s and fits a slope.
 */
export async function soak(
  broker: BenchBroker,
  stub: StubClient,
  seconds: number,
  progress: (line: string) => void,
): Promise<SoakResult> {
  const q = await broker.declare("soak");
  const config = agentConfig({
    queue: q,
    functionName: "sleep-1000",
    endpoint: stub.endpoint,
    workers: WORKERS,
    prefetch: WORKERS,
    batchSize: 1,
    batchWindow: "0s",
    eventFormat: "rmq",
    client: "http",
  });
  await broker.fill(q, BACKLOG, BYTES);
  await stub.reset();
  const agent = ConsumerProcess.agent(config, awsEnv());
  const samples: Array<{ t: number; rssMb: number }> = [];
  const started = performance.now();
  try {
    let nextSample = 0;
    while (performance.now() - started < seconds * 1000) {
      if (!agent.running) throw new Error(`the agent exited: ${agent.output.slice(-1500)}`);
      const waiting = await broker.messageCount(q);
      if (waiting < BACKLOG) await broker.fill(q, BACKLOG - waiting, BYTES);
      const t = (performance.now() - started) / 1000;
      if (t >= nextSample) {
        const rssMb = memoryMb(agent.pid, "VmRSS") ?? 0;
        samples.push({ t, rssMb });
        if (samples.length % 12 === 1) {
          const count = await stub.count();
          progress(`soak ${t.toFixed(0)}s: RSS ${rssMb.toFixed(1)} MB, ${count.messages} messages invoked`);
        }
        nextSample += 5;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const count = await stub.count();
    const peakRssMb = memoryMb(agent.pid, "VmHWM") ?? 0;
    const skip = Math.min(60, seconds / 4);
    const steady = samples.filter((s) => s.t >= skip);
    const elapsed = (performance.now() - started) / 1000;
    return {
      seconds: elapsed,
      messages: count.messages,
      rate: count.messages / elapsed,
      peakRssMb,
      slopeMbPerMin:
        slope(
          steady.map((s) => s.t),
          steady.map((s) => s.rssMb),
        ) * 60,
      samples,
    };
  } finally {
    await agent.stop();
    await broker.delete(q);
  }
}
