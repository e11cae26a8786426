/**
 * `npm run bench`: agent vs a hand-written baseline against a local Lambda stub, in one run.
 * Options: --soak <seconds> (RSS slope only), --only <key,key>, --variant <label,label> (only these
 * variants of the selected scenarios), --scale <factor> (message counts),
 * --cpu-prof (every agent process writes a .cpuprofile to bench/profiles; variants marked `profile`
 * always do, into bench/profiles/<scenario>-<variant>/), --agent-node-arg <arg> (repeatable: extra
 * node options for agent processes, for experiments). Profiled runs print their top frames by self
 * time within the drain.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BenchBroker } from "./broker.js";
import { profileTable } from "./cpu-profile.js";
import { describeMachine } from "./machine.js";
import { measureStartup, type StartupResult } from "./measure-startup.js";
import { forkStub, killAll, snapshotDist } from "./processes.js";
import { indent, profilesOf } from "./profile-report.js";
import { failedRun, medianOfRounds } from "./rounds.js";
import { type BenchContext, measureRun, type RunResult } from "./run-scenario.js";
import { SCENARIOS, type Scenario, STARTUP_REPEATS, type Variant } from "./scenarios.js";
import { soak } from "./soak.js";
import { StubClient } from "./stub-client.js";
import { clientTable, runTable, startupTable, targetTable } from "./table.js";
import { checkTargets, compareClients } from "./targets.js";
import { transpileChildren } from "./transpile.js";

const STUB_PORT = Number(process.env.BENCH_STUB_PORT ?? 3990);
const RESULTS = join(import.meta.dirname, "results");
const PROFILES = join(import.meta.dirname, "profiles");

const { values } = parseArgs({
  options: {
    soak: { type: "string" },
    only: { type: "string" },
    variant: { type: "string" },
    scale: { type: "string" },
    "cpu-prof": { type: "boolean" },
    "agent-node-arg": { type: "string", multiple: true },
  },
});

const say = (line: string) => process.stdout.write(`${line}\n`);
const int = (x: number) => Math.round(x).toLocaleString("en-US");

function selected(): Scenario[] {
  const only = values.only?.split(",");
  const variants = values.variant?.split(",");
  const scale = Number(values.scale ?? 1);
  return SCENARIOS.filter((s) => !only || only.includes(s.key)).map((s) => ({
    ...s,
    messages: Math.ceil(s.messages * scale),
    variants: s.variants
      .filter((v) => !variants || variants.includes(v.label))
      .map((v) => (v.messages ? { ...v, messages: Math.ceil(v.messages * scale) } : v)),
  }));
}

/** The runs of a scenario in order: round after round, variants marked `once` in the first only. */
function schedule(s: Scenario): Variant[] {
  const rounds = s.rounds ?? 1;
  const order: Variant[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    for (const v of s.variants) if (round === 1 || !v.once) order.push(v);
  }
  return order;
}

async function benchmark(ctx: BenchContext): Promise<void> {
  const scenarios = selected();
  const withStartup = !values.only || values.only.split(",").includes("startup");
  const total = scenarios.reduce((n, s) => n + schedule(s).length, 0) + (withStartup ? 2 : 0);
  const runs: RunResult[] = [];
  const startup: StartupResult[] = [];
  let step = 0;
  const started = performance.now();
  for (const s of scenarios) {
    const measured = new Map<Variant, RunResult[]>();
    for (const v of schedule(s)) {
      step += 1;
      const r = await measureOne(ctx, s, v, `[${step}/${total}]`);
      measured.set(v, [...(measured.get(v) ?? []), r]);
    }
    for (const v of s.variants) runs.push(medianOfRounds(measured.get(v) ?? []));
  }
  if (withStartup) {
    for (const v of [
      { kind: "baseline", label: "baseline" },
      { kind: "agent", label: "agent" },
    ] as const) {
      step += 1;
      const r = await measureStartup(ctx, v, STARTUP_REPEATS).catch(() => {
        say(`[${step}/${total}] start-up: ${v.label} failed; retrying once`);
        return measureStartup(ctx, v, STARTUP_REPEATS);
      });
      startup.push(r);
      say(
        `[${step}/${total}] start-up: ${v.label} median ${int(r.medianMs)} ms, max ${int(r.maxMs)} ms, RSS after first invoke ${r.rssAfterFirstMb.toFixed(0)} MB`,
      );
    }
  }
  const durationS = (performance.now() - started) / 1000;
  const machine = describeMachine();
  const targets = checkTargets(runs, startup);
  const clients = compareClients(runs);
  say("");
  say(
    `Machine: ${machine.nproc} cores (${machine.cpuModel}), ${machine.memoryGb} GB RAM, Node ${machine.node}; run took ${durationS.toFixed(0)} s`,
  );
  say("");
  say(runTable(runs));
  say("");
  say(startupTable(startup));
  say("");
  say(targetTable(targets));
  say("");
  say(clientTable(clients));
  const profiles = runs.flatMap((r) =>
    (r.profiles ?? []).map((p) => `${r.title}, ${r.variant}: ${profileTable(p)}`),
  );
  for (const p of profiles) say(`\n${p}`);
  mkdirSync(RESULTS, { recursive: true });
  const date = new Date().toISOString();
  const file = join(RESULTS, "latest.json");
  writeFileSync(
    file,
    `${JSON.stringify({ date, machine, durationS, runs, startup, targets, clients }, null, 2)}\n`,
  );
  const markdown = join(RESULTS, "latest.md");
  const sections = [
    `Run on ${machine.nproc} cores (${machine.cpuModel}), ${machine.memoryGb} GB RAM, Node ${machine.node}, ${date.slice(0, 10)}, ${durationS.toFixed(0)} s.`,
    runTable(runs),
    startupTable(startup),
    targetTable(targets),
    clientTable(clients),
    ...profiles,
  ];
  writeFileSync(markdown, `${sections.join("\n\n")}\n`);
  say(`\nwrote ${file} and ${markdown}`);
}

async function soakMode(ctx: BenchContext, seconds: number): Promise<void> {
  say(`soak: 256 KB messages, 500 workers, 1 s function, ${seconds} s`);
  const r = await soak(ctx.broker, ctx.stub, seconds, say);
  say(
    `soak: ${int(r.messages)} messages in ${r.seconds.toFixed(0)} s (${int(r.rate)} msg/s), peak RSS ${r.peakRssMb.toFixed(1)} MB, RSS slope ${r.slopeMbPerMin.toFixed(3)} MB/min`,
  );
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, "soak.json");
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), machine: describeMachine(), ...r }, null, 2)}\n`,
  );
  say(`wrote ${file}`);
}

/** One measured run of a variant, retried once; a failure becomes a result with the error. */
async function measureOne(ctx: BenchContext, s: Scenario, v: Variant, step: string): Promise<RunResult> {
  const messages = v.messages ?? s.messages;
  say(`${step} ${s.title}: ${v.label}: ${int(messages)} messages...`);
  try {
    const r = await measureRun(ctx, s, v).catch((thrown: unknown) => {
      const error = thrown instanceof Error ? thrown.message : String(thrown);
      say(`${step} ${s.title}: ${v.label} failed (${error.split("\n")[0]}); retrying once`);
      return measureRun(ctx, s, v);
    });
    if (r.profileDir) {
      r.profiles = profilesOf(r, say);
      for (const p of r.profiles) say(indent(profileTable(p)));
    }
    const eff = r.efficiency === undefined ? "" : ` (${(r.efficiency * 100).toFixed(1)}% of limit)`;
    say(
      `${step} ${s.title}: ${v.label} ${int(r.rate)} msg/s${eff}, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, CPU ${r.cpuPer10k.toFixed(2)} s/10k, RSS ${r.peakRssMb.toFixed(0)} MB, host busy ${r.hostBusyCores.toFixed(2)} cores, stub CPU ${r.stubCpuPer10k.toFixed(2)} s/10k, turnaround p50 ${r.turnaroundP50Ms.toFixed(1)} ms p99 ${r.turnaroundP99Ms.toFixed(1)} ms, stub hold ${r.stubHoldMs.toFixed(2)} ms`,
    );
    return r;
  } catch (thrown) {
    const error = thrown instanceof Error ? thrown.message : String(thrown);
    say(`${step} ${s.title}: ${v.label} FAILED: ${error}`);
    return failedRun(s, v, error);
  }
}

let openBroker: BenchBroker | undefined;

/** Deletes this run's queues (waiting at most 3 s) and kills every child process. */
async function cleanUp(): Promise<void> {
  const broker = openBroker;
  openBroker = undefined;
  killAll();
  if (broker) await Promise.race([broker.close(), new Promise((resolve) => setTimeout(resolve, 3000))]);
}

async function main(): Promise<void> {
  transpileChildren();
  snapshotDist();
  const child = await forkStub(STUB_PORT);
  const stub = new StubClient(child, `http://127.0.0.1:${STUB_PORT}`);
  const broker = await BenchBroker.connect();
  openBroker = broker;
  const ctx: BenchContext = {
    broker,
    stub,
    nodeArgs: values["agent-node-arg"] ?? [],
    profileDir: values["cpu-prof"] ? PROFILES : undefined,
    profilesRoot: PROFILES,
  };
  try {
    if (values.soak) await soakMode(ctx, Number(values.soak));
    else await benchmark(ctx);
  } finally {
    await cleanUp();
  }
}

process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}
main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    void cleanUp().finally(() => process.exit(1));
  },
);
