/** What `npm run bench` measures. Message counts aim at ≥ 10 s per measured run at this machine's rates. */

export interface AgentVariant {
  kind: "agent";
  label: string;
  batchSize?: number;
  batchWindow?: string;
  eventFormat?: "rmq" | "body";
  /** `backend/lambda.client`: "http" (the lean signed path, the default) or "sdk" (LambdaClient). */
  client?: "http" | "sdk";
  processes?: number;
  /**
   * Run under `--cpu-prof` (profiles in bench/profiles/): the profile's top frames within the drain
   * are printed and kept in the JSON. The profiler costs CPU, so no target reads a profiled run.
   */
  profile?: boolean;
  /** Runs in the first round only (`Scenario.rounds`): no target reads it. */
  once?: boolean;
  /** Overrides the scenario's prefetch. */
  prefetch?: number;
  /** Overrides the scenario's message count (variants whose rates differ tenfold). */
  messages?: number;
  /** An HTTP backend (POST to the stub's Invoke URL) instead of `backend/lambda`. */
  http?: boolean;
  /**
   * `off`: `amqp_lambda_agent.tracing.enabled: false`; `propagate` (the default): trace context
   * carried, no export; `export`: spans exported over OTLP/HTTP to the stub (`/v1/traces`).
   */
  tracing?: "off" | "propagate" | "export";
  /** More OpenTelemetry variables for an `export` variant (batch processor or exporter settings). */
  otelEnv?: Readonly<Record<string, string>>;
  /** `async/amqp.reply` in `exchange` mode to an exchange the bench declares (bench/replies.ts). */
  replies?: boolean;
}

export interface BaselineVariant {
  kind: "baseline";
  label: string;
  /** A tuned baseline: its own HTTP handler with this many sockets (default: the SDK's 50). */
  maxSockets?: number;
  messages?: number;
  once?: boolean;
  /** The hand-written loop with `undici.request` (a POST per message) instead of the SDK. */
  http?: boolean;
}

export type Variant = AgentVariant | BaselineVariant;

export interface Scenario {
  key: string;
  title: string;
  functionMs: number;
  /** Workers (agent) or in-flight invokes (baseline) per consumer process. */
  concurrency: number;
  /** basic.qos prefetch per consumer; defaults to `concurrency`. */
  prefetch?: number;
  messages: number;
  bytes: number;
  /** Open-loop publish rate of the latency phase (msg/s) and its length. */
  latencyRate: number;
  latencySeconds: number;
  /**
   * Rounds of the variants, interleaved (baseline, agent, baseline, agent…): a target's ratio is
   * taken between medians, so the machine's drift during the run (it varies twofold from day to
   * day, and within minutes) does not decide it. Default 1.
   */
  rounds?: number;
  /** Every message carries a `traceparent` and a `tracestate` (a trace of its own). */
  traced?: boolean;
  variants: Variant[];
}

const SMALL = 128;

export const SCENARIOS: Scenario[] = [
  {
    key: "instant-c10",
    title: "0ms x10",
    functionMs: 0,
    concurrency: 10,
    messages: 20_000,
    bytes: SMALL,
    latencyRate: 500,
    latencySeconds: 5,
    rounds: 3,
    variants: [
      { kind: "baseline", label: "baseline" },
      { kind: "agent", label: "agent" },
      { kind: "agent", label: "agent sdk", client: "sdk", once: true },
      { kind: "agent", label: "agent body", eventFormat: "body", once: true },
    ],
  },
  {
    key: "50ms-w100",
    title: "50ms x100",
    functionMs: 50,
    concurrency: 100,
    messages: 20_000,
    bytes: SMALL,
    latencyRate: 800,
    latencySeconds: 5,
    rounds: 3,
    variants: [
      { kind: "baseline", label: "baseline", once: true },
      { kind: "baseline", label: "baseline 100 sockets", maxSockets: 100 },
      // The floor: the same consume/ack loop POSTing with undici, unsigned, no logic at all.
      { kind: "baseline", label: "floor undici", http: true },
      { kind: "agent", label: "agent" },
      { kind: "agent", label: "agent sdk", client: "sdk", once: true },
      { kind: "agent", label: "agent prefetch 200", prefetch: 200, once: true },
      { kind: "agent", label: "agent profiled", profile: true, once: true },
    ],
  },
  {
    key: "http-50ms-w100",
    title: "HTTP 50ms x100",
    functionMs: 50,
    concurrency: 100,
    messages: 20_000,
    bytes: SMALL,
    latencyRate: 800,
    latencySeconds: 5,
    rounds: 3,
    variants: [
      { kind: "baseline", label: "baseline undici", http: true },
      { kind: "agent", label: "agent http backend", http: true },
    ],
  },
  {
    key: "50ms-w500",
    title: "50ms x500",
    functionMs: 50,
    concurrency: 500,
    messages: 30_000,
    bytes: SMALL,
    latencyRate: 2000,
    latencySeconds: 3,
    variants: [
      { kind: "baseline", label: "baseline" },
      { kind: "agent", label: "agent" },
    ],
  },
  {
    key: "256kb-w500",
    title: "256KB 1s x500",
    functionMs: 1000,
    concurrency: 500,
    messages: 2_500,
    bytes: 256 * 1024,
    latencyRate: 50,
    latencySeconds: 3,
    variants: [
      // The baseline's 50 sockets cap it at 50 msg/s with a 1 s function: fewer messages.
      { kind: "baseline", label: "baseline", messages: 1_000 },
      { kind: "agent", label: "agent" },
      { kind: "agent", label: "agent sdk", client: "sdk" },
    ],
  },
  {
    key: "batch-w10",
    title: "50ms x10 batch",
    functionMs: 50,
    concurrency: 10,
    prefetch: 100,
    messages: 20_000,
    bytes: SMALL,
    latencyRate: 100,
    latencySeconds: 3,
    variants: [
      { kind: "agent", label: "agent batch 1", batchSize: 1, messages: 2_500 },
      { kind: "agent", label: "agent batch 10", batchSize: 10, batchWindow: "20ms" },
    ],
  },
  {
    // What tracing costs per message where it weighs most (an instant function), in the same run.
    key: "tracing-c10",
    title: "0ms x10 traced",
    functionMs: 0,
    concurrency: 10,
    messages: 20_000,
    bytes: SMALL,
    latencyRate: 500,
    latencySeconds: 3,
    rounds: 3,
    traced: true,
    variants: [
      { kind: "agent", label: "tracing off", tracing: "off" },
      { kind: "agent", label: "propagation", tracing: "propagate" },
      { kind: "agent", label: "export", tracing: "export" },
      // Experiments (run them with --variant): the batch processor's export size, the JSON encoding.
      {
        kind: "agent",
        label: "export 2048",
        tracing: "export",
        otelEnv: { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "2048" },
        once: true,
      },
      {
        kind: "agent",
        label: "export json",
        tracing: "export",
        otelEnv: { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" },
        once: true,
      },
    ],
  },
  {
    // What replies add per message (issue 20): one publish and its confirm before each ack.
    key: "reply-c10",
    title: "0ms x10 replies",
    functionMs: 0,
    concurrency: 10,
    messages: 20_000,
    bytes: SMALL,
    latencyRate: 500,
    latencySeconds: 5,
    rounds: 3,
    variants: [
      { kind: "agent", label: "agent" },
      { kind: "agent", label: "agent replies", replies: true },
    ],
  },
  {
    key: "procs-w50",
    title: "50ms x50/proc",
    functionMs: 50,
    concurrency: 50,
    messages: 10_000,
    bytes: SMALL,
    latencyRate: 400,
    latencySeconds: 3,
    variants: [
      { kind: "agent", label: "1 agent", processes: 1 },
      { kind: "agent", label: "2 agents", processes: 2, messages: 20_000 },
      { kind: "agent", label: "4 agents", processes: 4, messages: 40_000 },
    ],
  },
];

/** Start-up to first invocation: repeats per consumer kind. */
export const STARTUP_REPEATS = 3;

/** Little's-law limit in msg/s, or undefined for an instant function. */
export function littleLimit(s: Scenario, v: Variant): number | undefined {
  if (s.functionMs <= 0) return undefined;
  const processes = v.kind === "agent" ? (v.processes ?? 1) : 1;
  const batch = v.kind === "agent" ? (v.batchSize ?? 1) : 1;
  return (processes * s.concurrency * batch * 1000) / s.functionMs;
}
