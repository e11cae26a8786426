import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EmfOptions } from "../../../src/config/types.js";
import type { AgentStatus, ObservedAgent } from "../../../src/observability/agent-status.js";
import {
  EMF_DEFAULT_NAMESPACE,
  EMF_METRICS,
  EMF_SERVICE_DIMENSION,
  type EmfAgentSnapshot,
  emfLine,
} from "../../../src/observability/emf.js";
import { startEmfReporter } from "../../../src/observability/emf-reporter.js";

const agent = (fields: Partial<EmfAgentSnapshot> = {}): EmfAgentSnapshot => ({
  agent: "orders",
  queue: "orders",
  backlog: 0,
  held: 0,
  breakerOpen: false,
  deadLettered: 0,
  ...fields,
});

function parse(line: string) {
  assert.ok(!line.includes("\n"), "one line");
  return JSON.parse(line) as {
    _aws: {
      Timestamp: number;
      CloudWatchMetrics: Array<{
        Namespace: string;
        Dimensions: string[][];
        Metrics: Array<{ Name: string; Unit: string }>;
      }>;
    };
  } & Record<string, unknown>;
}

describe("the CloudWatch Embedded Metric Format line", () => {
  it("is an EMF document: every declared metric and dimension is a member of the root", () => {
    const doc = parse(
      emfLine({
        service: "shop-dev",
        namespace: EMF_DEFAULT_NAMESPACE,
        timestampMs: 1_764_000_000_123.7,
        agents: [agent({ backlog: 7, held: 3 })],
      }),
    );
    assert.equal(doc._aws.Timestamp, 1_764_000_000_123);
    const [directive] = doc._aws.CloudWatchMetrics;
    assert.ok(directive);
    assert.equal(directive.Namespace, "AmqpLambdaAgent");
    assert.deepEqual(directive.Dimensions, [[EMF_SERVICE_DIMENSION]]);
    assert.equal(doc[EMF_SERVICE_DIMENSION], "shop-dev");
    assert.deepEqual(
      directive.Metrics.map((metric) => metric.Name).sort(),
      [
        EMF_METRICS.backlog.name,
        EMF_METRICS.held.name,
        EMF_METRICS.openBreakers.name,
        EMF_METRICS.deadLettered.name,
      ].sort(),
    );
    for (const metric of directive.Metrics) {
      assert.equal(metric.Unit, "Count");
      assert.equal(typeof doc[metric.Name], "number", metric.Name);
    }
    assert.equal(doc[EMF_METRICS.backlog.name], 7);
    assert.equal(doc[EMF_METRICS.held.name], 3);
    assert.equal(doc[EMF_METRICS.openBreakers.name], 0);
    assert.equal(doc[EMF_METRICS.deadLettered.name], 0);
  });

  it("sums the dead letters of every agent, an agent with an open breaker included", () => {
    const doc = parse(
      emfLine({
        namespace: "N",
        timestampMs: 0,
        agents: [
          agent({ agent: "a", deadLettered: 2 }),
          agent({ agent: "b", queue: "refunds", deadLettered: 3, breakerOpen: true }),
          agent({ agent: "c", queue: "x", deadLettered: Number.NaN }),
        ],
      }),
    );
    assert.equal(doc.DeadLettered, 5);
    assert.ok(doc._aws.CloudWatchMetrics[0]?.Metrics.some((metric) => metric.Name === "DeadLettered"));
  });

  it("counts a queue's backlog once, however many agents consume it, and sums distinct queues", () => {
    const doc = parse(
      emfLine({
        namespace: "N",
        timestampMs: 0,
        agents: [
          agent({ agent: "a", queue: "orders", backlog: 40, held: 5 }),
          agent({ agent: "b", queue: "orders", backlog: 42, held: 6 }),
          agent({ agent: "c", queue: "refunds", backlog: 8, held: 1 }),
        ],
      }),
    );
    assert.equal(doc.Backlog, 42 + 8, "the latest reading of orders, once, plus refunds");
    assert.equal(doc.HeldMessages, 12, "held messages are this task's own: summed");
    assert.deepEqual(doc.backlogByQueue, { orders: 42, refunds: 8 });
  });

  it("an open circuit breaker adds neither held messages nor its queue's backlog", () => {
    const doc = parse(
      emfLine({
        service: "s",
        namespace: "N",
        timestampMs: 0,
        agents: [
          agent({ agent: "a", queue: "orders", backlog: 500, held: 50, breakerOpen: true }),
          agent({ agent: "c", queue: "refunds", backlog: 3, held: 2 }),
        ],
      }),
    );
    assert.equal(doc.Backlog, 3);
    assert.equal(doc.HeldMessages, 2);
    assert.equal(doc.OpenCircuitBreakers, 1);
  });

  it("an unknown backlog is not reported as 0 (another task's reading wins under Maximum)", () => {
    const doc = parse(
      emfLine({
        service: "s",
        namespace: "N",
        timestampMs: 0,
        agents: [agent({ backlog: undefined, held: 0 }), agent({ queue: "x", backlog: Number.NaN })],
      }),
    );
    assert.equal("Backlog" in doc, false);
    assert.ok(!doc._aws.CloudWatchMetrics[0]?.Metrics.some((metric) => metric.Name === "Backlog"));
    assert.equal(doc.HeldMessages, 0);
  });

  it("without a service name the metrics have no dimension", () => {
    const doc = parse(emfLine({ namespace: "N", timestampMs: 0, agents: [agent()] }));
    assert.deepEqual(doc._aws.CloudWatchMetrics[0]?.Dimensions, [[]]);
    assert.equal(EMF_SERVICE_DIMENSION in doc, false);
  });

  it("a queue named like an object key stays data", () => {
    const doc = parse(
      emfLine({ namespace: "N", timestampMs: 0, agents: [agent({ queue: "__proto__", backlog: 4 })] }),
    );
    assert.equal(doc.Backlog, 4);
    assert.equal(JSON.stringify(doc.backlogByQueue), '{"__proto__":4}');
  });

  it("names the statistics the autoscaling policy must read them with", () => {
    assert.equal(EMF_METRICS.backlog.statistic, "Maximum");
    assert.equal(EMF_METRICS.held.statistic, "Average");
    assert.equal(EMF_METRICS.deadLettered.statistic, "Sum");
  });
});

describe("the EMF reporter", () => {
  const status = (fields: Partial<AgentStatus>): AgentStatus =>
    ({ queue: "orders", backlog: 0, held: 0, circuit: "closed", ...fields }) as AgentStatus;
  const observed = (name: string, fields: Partial<AgentStatus> = {}): ObservedAgent => ({
    name,
    status: () => status(fields),
    waits: () => ({ lanes: 0, oldestWaitMs: 0 }),
  });
  const emf: EmfOptions = { enabled: true, namespace: "N", service: "shop-dev", intervalMs: 60_000 };

  it("reports the dead letters since the previous line, per agent, not the running total", async (t) => {
    t.mock.timers.enable({ apis: ["setInterval"] });
    const totals = new Map([
      ["orders", 0],
      ["refunds", 0],
    ]);
    const lines: string[] = [];
    let wrote: () => void = () => undefined;
    const stop = startEmfReporter({
      agents: [observed("orders"), observed("refunds", { queue: "refunds", circuit: "open" })],
      emf,
      deadLettered: async (name) => totals.get(name) ?? 0,
      write: (line) => {
        lines.push(line);
        wrote();
      },
    });
    t.after(stop);
    const nextLine = async (orders: number, refunds: number) => {
      totals.set("orders", orders).set("refunds", refunds);
      const written = new Promise<void>((resolve) => (wrote = resolve));
      t.mock.timers.tick(60_000);
      await written;
      const line = lines.at(-1) ?? "";
      assert.ok(line.endsWith("\n"), "whole lines");
      return parse(line.slice(0, -1)).DeadLettered;
    };
    assert.equal(await nextLine(3, 1), 4, "since start");
    assert.equal(await nextLine(3, 1), 0, "none since the previous line");
    assert.equal(await nextLine(10, 2), 8);
  });

  it("stops writing once stopped", (t) => {
    t.mock.timers.enable({ apis: ["setInterval"] });
    let calls = 0;
    const stop = startEmfReporter({
      agents: [observed("orders")],
      emf,
      deadLettered: async () => {
        calls += 1;
        return 0;
      },
      write: () => undefined,
    });
    stop();
    t.mock.timers.tick(180_000);
    assert.equal(calls, 0);
  });
});
