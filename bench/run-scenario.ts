import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { agentConfig, awsEnv } from "./agent-config.js";
import type { BenchBroker, BenchQueue } from "./broker.js";
import { AMQP_URL } from "./broker.js";
import { monotonicUs, type ProfileSummary } from "./cpu-profile.js";
import { CpuSampler, hostCpu, memoryMb, percentile } from "./measure.js";
import { ConsumerProcess } from "./processes.js";
import { epochMs } from "./protocol.js";
import { littleLimit, type Scenario, type Variant } from "./scenarios.js";
import type { StubClient } from "./stub-client.js";

export interface RunResult {
  scenario: string;
  title: string;
  variant: string;
  processes: number;
  messages: number;
  /** Invocations seen by the stub during the throughput phase (≠ messages when batching). */
  invocations: number;
  /** Messages beyond those published (redeliveries, retries). */
  duplicates: number;
  seconds: number;
  rate: number;
  limit: number | undefined;
  efficiency: number | undefined;
  latencyRate: number;
  p50Ms: number;
  p99Ms: number;
  cpuPer10k: number;
  /** The stub's own CPU per 10,000 messages, and the whole machine's busy cores, during the drain. */
  stubCpuPer10k: number;
  hostBusyCores: number;
  /** Client turnaround on a connection (stub response sent → next request arrives), p50/p99 ms. */
  turnaroundP50Ms: number;
  turnaroundP99Ms: number;
  /** Mean time an invocation spent in the stub (request arrived → response sent), ms. */
  stubHoldMs: number;
  prefetch: number;
  peakRssMb: number;
  /** Consumer process ids (a profile file names its process). */
  pids: number[];
  /** The drain (first → last invocation) on the monotonic clock of `.cpuprofile` files, µs. */
  drainUs: [number, number];
  /** Directory of the agents' `.cpuprofile` files when the run was profiled. */
  profileDir?: string;
  /** Top frames of each agent process within the drain (profiled runs). */
  profiles?: ProfileSummary[];
  /** Runs behind this result (`Scenario.rounds`): it holds their medians, and the peak RSS of all. */
  rounds?: number;
  /** Each round's throughput and CPU, in run order, when there were several. */
  perRound?: Array<
    Pick<RunResult, "rate" | "cpuPer10k" | "p50Ms" | "p99Ms" | "peakRssMb" | "hostBusyCores"> &
      Partial<Pick<RunResult, "replyP50Ms" | "replyP99Ms">>
  >;
  /** Publish → reply delivered to the bench's consumer, p50/p99 ms (variants with `replies`). */
  replyP50Ms?: number;
  replyP99Ms?: number;
  error?: string;
}

export interface BenchContext {
  broker: BenchBroker;
  stub: StubClient;
  /** Extra node options for agent processes (`--agent-node-arg`). */
  nodeArgs: readonly string[];
  /** Profile every agent run into this directory (`--cpu-prof`); profiled variants always are. */
  profileDir: string | undefined;
  /** Where profiled variants write their profiles. */
  profilesRoot: string;
}

function functionName(s: Scenario): string {
  return `sleep-${s.functionMs}`;
}

/** Starts the consumer process(es) of a variant on a queue. */
export function startConsumers(
  ctx: BenchContext,
  s: Scenario,
  v: Variant,
  q: BenchQueue,
  nodeArgs: readonly string[] = [],
): ConsumerProcess[] {
  const prefetch = prefetchOf(s, v);
  if (v.kind === "baseline") {
    return [
      ConsumerProcess.baseline({
        ...awsEnv(),
        BENCH_AMQP_URL: AMQP_URL,
        BENCH_QUEUE: q.queue,
        BENCH_CONCURRENCY: String(s.concurrency),
        BENCH_LAMBDA_ENDPOINT: ctx.stub.endpoint,
        BENCH_FUNCTION: functionName(s),
        BENCH_MAX_SOCKETS: String(v.maxSockets ?? 0),
        BENCH_HTTP: v.http ? "1" : "",
      }),
    ];
  }
  const config = agentConfig({
    queue: q,
    functionName: functionName(s),
    endpoint: ctx.stub.endpoint,
    workers: s.concurrency,
    prefetch,
    batchSize: v.batchSize ?? 1,
    batchWindow: v.batchWindow ?? "0s",
    eventFormat: v.eventFormat ?? "rmq",
    client: v.client ?? "http",
    http: v.http ?? false,
    tracing: v.tracing !== "off",
  });
  const env = {
    ...awsEnv(),
    ...(v.tracing === "export" ? { ...otlpEnv(ctx.stub.endpoint), ...v.otelEnv } : {}),
  };
  return Array.from({ length: v.processes ?? 1 }, () => ConsumerProcess.agent(config, env, nodeArgs));
}

/**
 * Spans exported to the stub's `/v1/traces` (protobuf, the default protocol). The queue is made
 * large enough that no span is dropped at these rates: every span is paid for.
 */
function otlpEnv(endpoint: string): NodeJS.ProcessEnv {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_MAX_QUEUE_SIZE: "65536" };
}

/** The directory a run's agents write their CPU profiles to, when the run is profiled. */
function profileDirOf(ctx: BenchContext, s: Scenario, v: Variant): string | undefined {
  if (v.kind !== "agent") return undefined;
  const dir = v.profile
    ? join(ctx.profilesRoot, `${s.key}-${v.label.replace(/[^a-z0-9]+/gi, "-")}`)
    : ctx.profileDir;
  if (dir) mkdirSync(dir, { recursive: true });
  return dir;
}

function prefetchOf(s: Scenario, v: Variant): number {
  return (v.kind === "agent" ? v.prefetch : undefined) ?? s.prefetch ?? s.concurrency;
}

export function deadProcess(processes: readonly ConsumerProcess[]): () => string | undefined {
  return () => {
    const dead = processes.find((p) => !p.running);
    return dead ? `the ${dead.label} process exited: ${dead.output.slice(-1500)}` : undefined;
  };
}

/**
 * One measured run: fill a fresh queue, start the consumer(s), time the drain through the stub
 * (rate, CPU between first and last invocation), then drip messages at a fixed rate for the
 * added-latency percentiles, read peak RSS, stop.
 */
export async function measureRun(ctx: BenchContext, s: Scenario, v: Variant): Promise<RunResult> {
  const messages = v.messages ?? s.messages;
  const q = await ctx.broker.declare(s.key, v.kind === "agent" && v.replies === true);
  let processes: ConsumerProcess[] = [];
  try {
    await ctx.broker.fill(q, messages, s.bytes, s.traced);
    await ctx.stub.reset();
    const profileDir = profileDirOf(ctx, s, v);
    const nodeArgs = profileDir
      ? [...ctx.nodeArgs, "--cpu-prof", `--cpu-prof-dir=${profileDir}`]
      : ctx.nodeArgs;
    processes = startConsumers(ctx, s, v, q, nodeArgs);
    const sampler = new CpuSampler(processes.map((p) => p.pid));
    const stubSampler = new CpuSampler([ctx.stub.pid]);
    const hostSampler = new CpuSampler(() => hostCpu().busy);
    const alive = deadProcess(processes);
    try {
      await ctx.stub.waitFor(messages, 20_000, alive);
    } finally {
      for (const each of [sampler, stubSampler, hostSampler]) each.stop();
    }
    const drain = await ctx.stub.stats();
    const first = drain.sizes[0] ?? 1;
    const seconds = (drain.lastAt - drain.firstAt) / 1000;
    const counted = Math.max(1, drain.messages - first);
    const cpu = sampler.between(drain.firstAt, drain.lastAt);
    const stubCpu = stubSampler.between(drain.firstAt, drain.lastAt);
    const hostBusy = hostSampler.between(drain.firstAt, drain.lastAt);
    // Epoch ms (the stub's clock) to the monotonic µs of .cpuprofile timestamps.
    const offsetUs = monotonicUs() - epochMs() * 1000;
    const drainUs: [number, number] = [drain.firstAt * 1000 + offsetUs, drain.lastAt * 1000 + offsetUs];
    // Let the last invocations finish and be acked before the latency phase.
    await new Promise((resolve) => setTimeout(resolve, s.functionMs + 300));

    await ctx.stub.reset();
    const replies = await ctx.broker.collectReplies(q);
    const dripped = await ctx.broker.drip(q, s.latencyRate, s.latencySeconds, s.bytes, s.traced);
    await ctx.stub.waitFor(dripped, 20_000, alive);
    const latency = await ctx.stub.stats();
    const replied = await replies?.finish(dripped);
    const peakRssMb = Math.max(...processes.map((p) => memoryMb(p.pid, "VmHWM") ?? 0));

    const rate = counted / seconds;
    const limit = littleLimit(s, v);
    return {
      scenario: s.key,
      title: s.title,
      variant: v.label,
      processes: processes.length,
      messages,
      invocations: drain.invocations,
      duplicates: drain.messages - messages,
      seconds,
      rate,
      limit,
      efficiency: limit ? rate / limit : undefined,
      latencyRate: s.latencyRate,
      p50Ms: percentile(latency.latencies, 50),
      p99Ms: percentile(latency.latencies, 99),
      ...replied,
      cpuPer10k: (cpu / counted) * 10_000,
      stubCpuPer10k: (stubCpu / counted) * 10_000,
      hostBusyCores: hostBusy / seconds,
      turnaroundP50Ms: percentile(drain.gaps, 50),
      turnaroundP99Ms: percentile(drain.gaps, 99),
      stubHoldMs: drain.holds.reduce((a, b) => a + b, 0) / Math.max(1, drain.holds.length),
      prefetch: prefetchOf(s, v),
      peakRssMb,
      pids: processes.map((p) => p.pid),
      drainUs,
      ...(profileDir ? { profileDir } : {}),
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await ctx.broker.delete(q);
  }
}
