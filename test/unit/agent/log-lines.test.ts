import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import {
  logConnections,
  logConsuming,
  logDrainTimeout,
  reportCircuit,
} from "../../../src/agent/log-lines.js";
import type { BrokerConnection } from "../../../src/amqp/broker-connection.js";
import type { Publisher } from "../../../src/amqp/publisher.js";
import { LogThrottle } from "../../../src/observability/log-throttle.js";
import type { CircuitTransition } from "../../../src/policy/circuit-breaker.js";
import { agentConfig, LEVEL, recordingLog, testMetrics } from "../pipeline/fakes.js";

function report(...transitions: CircuitTransition[]) {
  const { metrics, read } = testMetrics();
  const { log, lines } = recordingLog();
  const throttle = new LogThrottle();
  for (const transition of transitions) reportCircuit(transition, metrics, log, throttle);
  return { read, lines };
}

describe("reportCircuit: metrics and log lines of a breaker transition", () => {
  it("an opening sets the state gauge, counts the opening and warns with the detail", async () => {
    const { read, lines } = report({
      from: "closed",
      to: "open",
      cause: "platform_failures",
      detail: "5 in a row",
    });
    assert.equal(await read("circuit_state", { state: "open" }), 1);
    assert.equal(await read("circuit_state", { state: "closed" }), 0);
    assert.equal(await read("circuit_openings_total"), 1);
    assert.equal(lines[0]?.level, LEVEL.warn);
    assert.match(lines[0]?.msg ?? "", /^circuit breaker open: 5 in a row; new messages stay in the queue/);
  });

  it("a failed or inconclusive probe is not a new opening; repeats are throttled", async () => {
    const { read, lines } = report(
      { from: "half_open", to: "open", cause: "probe_failed", detail: "the probe failed: x" },
      { from: "half_open", to: "open", cause: "probe_inconclusive", detail: "again" },
      { from: "half_open", to: "open", cause: "probe_failed", detail: "the probe failed: y" },
    );
    assert.equal(await read("circuit_openings_total"), 0);
    assert.deepEqual(
      lines.map((line) => line.msg),
      ["circuit breaker still open: the probe failed: x"],
    );
  });

  it("closing logs at info; the start-up 'closed → closed' only sets the gauge", async () => {
    const { read, lines } = report(
      { from: "closed", to: "closed", cause: "succeeded", detail: "" },
      { from: "half_open", to: "closed", cause: "succeeded", detail: "an invocation succeeded" },
    );
    assert.equal(await read("circuit_state", { state: "closed" }), 1);
    assert.deepEqual(
      lines.map((line) => [line.level, line.msg]),
      [[LEVEL.info, "circuit breaker closed: an invocation succeeded; consuming at full speed again"]],
    );
  });

  it("half-open sets its gauge and logs nothing", async () => {
    const { read, lines } = report({ from: "open", to: "half_open", cause: "probe_started", detail: "p" });
    assert.equal(await read("circuit_state", { state: "half_open" }), 1);
    assert.deepEqual(lines, []);
  });
});

/** The consuming connection and the publisher as log-lines sees them: emitters the test drives. */
function connections(connectionOverrides: Record<string, unknown> = {}) {
  const config = agentConfig({
    amqp: { host: ["amqp://u:secret@a:5672/", "amqp://u:secret@b:5673/"] },
    connection: connectionOverrides,
  });
  const connection = new EventEmitter();
  const publisher = new EventEmitter();
  const { metrics, read } = testMetrics();
  const { log, lines } = recordingLog();
  logConnections(
    config,
    connection as unknown as BrokerConnection,
    publisher as unknown as Publisher,
    metrics,
    log,
  );
  return { connection, publisher, read, lines, messages: () => lines.map((line) => line.msg) };
}

describe("logConnections: reconnects and resource alarms of both connections", () => {
  it("every reconnect is counted; the first ten rounds are logged, then every tenth", async () => {
    const c = connections();
    for (let round = 1; round <= 20; round++) c.connection.emit("reconnecting", { round, delayMs: 500 });
    assert.equal(await c.read("reconnects_total"), 20);
    assert.deepEqual(
      c.lines.map((line) => line.level),
      Array(11).fill(LEVEL.warn),
    );
    assert.equal(c.messages()[0], "reconnecting to a:5672, b:5673 in 500ms (round 1 of 10)");
    assert.equal(c.messages()[10], "reconnecting to a:5672, b:5673 in 500ms (round 20 of 10)");
  });

  it("max_retries 0 reconnects without end: 'unlimited'", () => {
    const c = connections({ max_retries: 0 });
    c.connection.emit("reconnecting", { round: 3, delayMs: 4_000 });
    assert.match(c.messages()[0] ?? "", /\(round 3 of unlimited\)$/);
  });

  it("the consuming connection blocked and unblocked", () => {
    const c = connections();
    c.connection.emit("blocked", "low on disk");
    c.connection.emit("unblocked");
    assert.deepEqual(
      c.lines.map((line) => [line.level, line.msg]),
      [
        [
          LEVEL.warn,
          "the broker blocked the connection (resource alarm: low on disk); waiting, not reconnecting",
        ],
        [LEVEL.info, "the broker unblocked the connection"],
      ],
    );
  });

  it("the publishing connection: blocked is a warning, 'unblocked' only after a block", () => {
    const c = connections();
    c.publisher.emit("state", "connecting", { node: "a:5672" });
    c.publisher.emit("state", "ready", { node: "a:5672" });
    assert.equal(c.lines.length, 0, "an ordinary connect says nothing here");
    c.publisher.emit("state", "blocked", { reason: "memory", node: "a:5672" });
    c.publisher.emit("state", "ready", { node: "a:5672" });
    c.publisher.emit("state", "ready", { node: "a:5672" });
    assert.deepEqual(
      c.lines.map((line) => [line.level, line.msg]),
      [
        [
          LEVEL.warn,
          "the broker blocked the publishing connection (resource alarm: memory); consuming goes on, failed messages wait held until it clears",
        ],
        [LEVEL.info, "the broker unblocked the publishing connection"],
      ],
    );
  });
});

describe("logConsuming", () => {
  it("the queue, its node and bindings; a node other than the first says which", () => {
    const { log, lines } = recordingLog();
    const config = agentConfig();
    logConsuming(config, { node: "a:5672", nodeIndex: 0 }, log);
    logConsuming(config, { node: "b:5673", nodeIndex: 1 }, log);
    assert.deepEqual(
      lines.map((line) => line.msg),
      [
        'consuming krakend on a:5672 (exchange foo, binding "*")',
        'consuming krakend on b:5673 (node 2 of the list) (exchange foo, binding "*")',
      ],
    );
  });

  it("no bindings: none named", () => {
    const { log, lines } = recordingLog();
    const config = agentConfig();
    logConsuming(
      { ...config, amqp: { ...config.amqp, bindings: [] } },
      { node: "a:5672", nodeIndex: 0 },
      log,
    );
    assert.equal(lines[0]?.msg, "consuming krakend on a:5672 (exchange foo)");
  });
});

describe("logDrainTimeout", () => {
  it("manual acks: the broker redelivers; auto_ack: the messages are lost", () => {
    const { log, lines } = recordingLog();
    logDrainTimeout(agentConfig(), 3, 5_000, log);
    logDrainTimeout(agentConfig({ amqp: { auto_ack: true } }), 2, 5_000, log);
    assert.deepEqual(
      lines.map((line) => [line.level, line.msg]),
      [
        [LEVEL.warn, "drain timeout: closing with 3 message(s) unsettled; the broker redelivers them"],
        [
          LEVEL.warn,
          "drain timeout: 2 auto_ack message(s) unfinished; the broker no longer has them: they are lost",
        ],
      ],
    );
  });
});
