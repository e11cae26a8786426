import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { reportCircuit } from "../../../src/agent/log-lines.js";
import { LogThrottle } from "../../../src/observability/log-throttle.js";
import type { CircuitTransition } from "../../../src/policy/circuit-breaker.js";
import { LEVEL, recordingLog, testMetrics } from "../pipeline/fakes.js";

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
