import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HealthWatch } from "../../../src/agent/health-watch.js";
import type { DesiredConsumer } from "../../../src/amqp/consumer-session.js";
import type { AgentConfig } from "../../../src/config/types.js";
import { LogThrottle } from "../../../src/observability/log-throttle.js";
import type { Scheduler } from "../../../src/pipeline/scheduler.js";
import type { CircuitBreaker, CircuitState } from "../../../src/policy/circuit-breaker.js";
import { ConsumerControl } from "../../../src/policy/consumer-control.js";
import { agentConfig, FakeSession, LEVEL, recordingLog, testMetrics, turn } from "../pipeline/fakes.js";

const CONSUMER_TIMEOUT_MS = 1_000_000;

interface WatchOptions {
  config?: AgentConfig;
  breaker?: CircuitState;
  /** How long ago the oldest held message arrived (real performance.now(): HealthWatch has no clock seam). */
  oldestAgoMs?: number;
  ready?: boolean;
  blocked?: boolean;
}

function watch(options: WatchOptions = {}) {
  const config = options.config ?? agentConfig({ amqp: { consumer_timeout: `${CONSUMER_TIMEOUT_MS}ms` } });
  const session = new FakeSession();
  const applied: DesiredConsumer[] = [];
  const control = new ConsumerControl({ autoAck: false, maxBacklog: 10, apply: (d) => applied.push(d) });
  let givenBack = 0;
  const scheduler = {
    laneWaits: () => ({ lanes: 3, oldestWaitMs: 2_500 }),
    oldestReceivedAt: options.oldestAgoMs === undefined ? undefined : performance.now() - options.oldestAgoMs,
    giveBackWaiting: () => {
      givenBack += 1;
      return 4;
    },
  } as unknown as Scheduler;
  const breaker = { state: options.breaker ?? "closed" } as CircuitBreaker;
  const { metrics, read } = testMetrics();
  const { log, lines } = recordingLog();
  const restarts: Error[] = [];
  let ready = options.ready ?? true;
  const subject = new HealthWatch({
    config,
    scheduler,
    breaker,
    control,
    metrics,
    log,
    throttle: new LogThrottle(),
    readySession: () => (ready ? session.asSession : undefined),
    blocked: () => options.blocked ?? false,
    restart: (error) => restarts.push(error),
  });
  return {
    watch: subject,
    config,
    session,
    control,
    applied,
    read,
    lines,
    restarts,
    get givenBack() {
      return givenBack;
    },
    setReady(value: boolean) {
      ready = value;
    },
  };
}

describe("HealthWatch: the channel answers", () => {
  it("a passive check reads the backlog; lane waits go to the metrics", async () => {
    const h = watch();
    h.session.checkAnswer = async () => 12;
    await h.watch.check();
    assert.deepEqual(h.session.checks, [10_000], "the health interval, at least 5 s");
    assert.equal(h.watch.backlog, 12, "kept for the agent's status");
    assert.equal(await h.read("queue_backlog"), 12);
    assert.equal(await h.read("order_keys_waiting"), 3);
    assert.equal(await h.read("oldest_wait_seconds"), 2.5);
  });

  it("waits at least 5 s for the answer, whatever the interval", async () => {
    const h = watch({ config: agentConfig({ connection: { health_interval: "1s" } }) });
    await h.watch.check();
    assert.deepEqual(h.session.checks, [5_000]);
  });

  it("not ready: no check", async () => {
    const h = watch({ ready: false });
    await h.watch.check();
    assert.deepEqual(h.session.checks, []);
  });

  it("a failed check restarts the connection, with a warning", async () => {
    const h = watch();
    h.session.checkAnswer = () => Promise.reject(new Error("no answer"));
    await h.watch.check();
    assert.deepEqual(
      h.restarts.map((e) => e.message),
      ["no answer"],
    );
    assert.equal(h.watch.backlog, undefined, "no backlog from a check that failed");
    assert.match(
      h.lines.find((l) => l.level === LEVEL.warn)?.msg ?? "",
      /health check failed: no answer; reconnecting/,
    );
  });

  it("a failed check while the broker blocks the connection does not restart (it would not help)", async () => {
    const h = watch({ blocked: true });
    h.session.checkAnswer = () => Promise.reject(new Error("no answer"));
    await h.watch.check();
    assert.deepEqual(h.restarts, []);
  });

  it("a failed check of a session that died meanwhile, or after the agent left ready, restarts nothing", async () => {
    const died = watch();
    died.session.checkAnswer = () => {
      died.session.alive = false;
      return Promise.reject(new Error("channel closed"));
    };
    await died.watch.check();
    const left = watch();
    left.session.checkAnswer = () => {
      left.setReady(false);
      return Promise.reject(new Error("channel closed"));
    };
    await left.watch.check();
    assert.deepEqual([...died.restarts, ...left.restarts], []);
  });
});

describe("HealthWatch: held messages go back before consumer_timeout while the breaker is open", () => {
  it("past 80% of consumer_timeout: handed back, consumer paused, logged", async () => {
    const h = watch({ breaker: "open", oldestAgoMs: CONSUMER_TIMEOUT_MS * 0.81 });
    await h.watch.check();
    assert.equal(h.givenBack, 1);
    assert.equal(h.control.current, "handed_back");
    assert.deepEqual(h.applied, ["paused"]);
    assert.ok(h.lines.some((l) => /4 held message\(s\) handed back/.test(l.msg)));
  });

  it("before 80% of consumer_timeout: kept", async () => {
    const h = watch({ breaker: "open", oldestAgoMs: CONSUMER_TIMEOUT_MS * 0.79 });
    await h.watch.check();
    assert.equal(h.givenBack, 0);
    assert.equal(h.control.current, "none");
  });

  it("with the breaker closed, or nothing held, or auto_ack: kept", async () => {
    const closed = watch({ breaker: "closed", oldestAgoMs: CONSUMER_TIMEOUT_MS });
    const empty = watch({ breaker: "open" });
    const autoAck = watch({
      breaker: "half_open",
      oldestAgoMs: CONSUMER_TIMEOUT_MS,
      config: agentConfig({ amqp: { auto_ack: true, consumer_timeout: `${CONSUMER_TIMEOUT_MS}ms` } }),
    });
    for (const h of [closed, empty, autoAck]) await h.watch.check();
    assert.deepEqual(
      [closed, empty, autoAck].map((h) => h.givenBack),
      [0, 0, 0],
    );
  });

  it("an auto-delete queue: a warning instead (cancelling the consumer would delete the queue)", async () => {
    const config = agentConfig({
      amqp: { delete: true, durable: false, consumer_timeout: `${CONSUMER_TIMEOUT_MS}ms` },
    });
    const h = watch({ breaker: "open", oldestAgoMs: CONSUMER_TIMEOUT_MS, config });
    await h.watch.check();
    assert.equal(h.givenBack, 0);
    assert.equal(h.control.current, "none");
    assert.match(
      h.lines.find((l) => l.level === LEVEL.warn)?.msg ?? "",
      /the queue is auto-delete, so the consumer is kept/,
    );
  });
});

describe("HealthWatch: start and stop", () => {
  it("checks every health_interval until stopped", async (t) => {
    t.mock.timers.enable({ apis: ["setInterval"] });
    const h = watch();
    h.watch.start();
    t.mock.timers.tick(10_000);
    await turn();
    t.mock.timers.tick(10_000);
    await turn();
    assert.equal(h.session.checks.length, 2);
    h.watch.stop();
    t.mock.timers.tick(30_000);
    await turn();
    assert.equal(h.session.checks.length, 2);
  });
});
