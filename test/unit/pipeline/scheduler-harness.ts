/**
 * A Scheduler wired to scripted parts: a real CircuitBreaker and ConcurrencyLimit on the fake clock,
 * a `run` whose reports the test hands over when it wants (so a report can arrive after anything
 * else), and a settler that records each decision and finishes when the test says (or at once).
 */
import type { TestContext } from "node:test";
import type { CallReport } from "../../../src/backends/backend.js";
import type { CircuitBreakerConfig } from "../../../src/config/types.js";
import type { HeldMessage } from "../../../src/held/held-message.js";
import type { BatchReport } from "../../../src/pipeline/batch-run.js";
import { Scheduler } from "../../../src/pipeline/scheduler.js";
import { CircuitBreaker, type CircuitTransition } from "../../../src/policy/circuit-breaker.js";
import { ConcurrencyLimit } from "../../../src/policy/concurrency-limit.js";
import type { Decision, Happening, Policy } from "../../../src/policy/decide.js";
import type { Settler } from "../../../src/settle/settler.js";
import {
  BREAKER_CONFIG,
  callReport,
  type Deferred,
  deferred,
  FakeBackend,
  FakeSession,
  fakeClock,
  type HeldOptions,
  heldMessage,
  recordingLog,
  testMetrics,
  testPolicy,
  turn,
} from "./fakes.js";

export interface Run {
  batch: HeldMessage[];
  report: Deferred<BatchReport>;
}

export interface Settled {
  held: HeldMessage;
  decision: Decision;
  done: Deferred<void>;
}

export interface HarnessOptions {
  workers?: number;
  batchSize?: number;
  batchWindowMs?: number;
  policy?: Partial<Policy>;
  breaker?: Partial<CircuitBreakerConfig>;
  /** false: settlements stay under way until the test finishes them. */
  settleAtOnce?: boolean;
  /** A settler of the test's own (the real one) instead of the recording fake. */
  settler?: (scheduler: () => Scheduler) => Settler;
  run?: (batch: readonly HeldMessage[]) => Promise<BatchReport>;
}

export function schedulerHarness(t: TestContext, options: HarnessOptions = {}) {
  const clock = fakeClock(t);
  const backend = new FakeBackend();
  backend.batchSize = options.batchSize ?? 1;
  backend.batchWindowMs = options.batchWindowMs ?? 0;
  const transitions: CircuitTransition[] = [];
  const breaker = new CircuitBreaker({ ...BREAKER_CONFIG, ...options.breaker }, clock.now, (change) =>
    transitions.push(change),
  );
  const workers = options.workers ?? 1;
  const limit = new ConcurrencyLimit(workers, clock.now);
  const runs: Run[] = [];
  const settled: Settled[] = [];
  const heldChanges: number[] = [];
  let probeStarved = 0;
  const { metrics, read } = testMetrics();
  const { log, lines } = recordingLog();
  /** The session messages arrive on unless a test names another. */
  const session = new FakeSession("default");
  const recordingSettler = {
    settle(held: HeldMessage, decision: Decision): Promise<void> {
      const done = deferred<void>();
      settled.push({ held, decision, done });
      if (options.settleAtOnce !== false) done.resolve();
      return done.promise;
    },
  } as unknown as Settler;
  let scheduler: Scheduler | undefined;
  const subject = new Scheduler({
    backend,
    policy: testPolicy(options.policy),
    breaker,
    limit,
    settler: options.settler ? options.settler(() => scheduler as Scheduler) : recordingSettler,
    run:
      options.run ??
      ((batch) => {
        const report = deferred<BatchReport>();
        runs.push({ batch: [...batch], report });
        return report.promise;
      }),
    workers,
    metrics,
    log,
    onHeldChange: (held) => heldChanges.push(held),
    onProbeStarved: () => {
      probeStarved += 1;
    },
    now: clock.now,
  });
  scheduler = subject;

  /** Messages arrive now (receivedAt = the clock), in this order. */
  function admit(...each: HeldOptions[]): HeldMessage[] {
    return each.map((one) => admitAs(undefined, one));
  }

  /** One message arrives with what already happened to it (filtered, arrived while stopping). */
  function admitAs(happening: Happening | undefined, one: HeldOptions = {}): HeldMessage {
    const held = heldMessage({ receivedAt: clock.now(), session, ...one });
    subject.admit(held, happening);
    return held;
  }

  /** Hands run `index` its report: one happening for all, or one per message; then lets it play out. */
  async function answer(
    index: number,
    happening: Happening | ((held: HeldMessage) => Happening),
    call: CallReport | undefined = callReport(),
  ): Promise<void> {
    const run = runs[index];
    if (!run) throw new Error(`no run #${index} started (${runs.length} did)`);
    const of = typeof happening === "function" ? happening : () => happening;
    run.report.resolve({ happenings: new Map(run.batch.map((held) => [held, of(held)])), call });
    await turn();
  }

  return {
    scheduler: subject,
    session,
    clock,
    backend,
    breaker,
    limit,
    transitions,
    runs,
    settled,
    heldChanges,
    metrics,
    read,
    lines,
    get probeStarved() {
      return probeStarved;
    },
    admit,
    admitAs,
    answer,
    /** The steps decided for settled messages, in order. */
    steps: () => settled.map((s) => s.decision.step.do),
  };
}

/** The delivery tags of a batch, to compare batches. */
export const tags = (batch: readonly HeldMessage[]) => batch.map((held) => held.message.fields.deliveryTag);
