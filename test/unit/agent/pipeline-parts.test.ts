import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backendOf, buildPipeline } from "../../../src/agent/pipeline-parts.js";
import type { AgentConfig } from "../../../src/config/types.js";
import { LogThrottle } from "../../../src/observability/log-throttle.js";
import type { CircuitTransition } from "../../../src/policy/circuit-breaker.js";
import { fakeMessage } from "../amqp-fixtures.js";
import {
  agentConfig,
  callReport,
  FakeBackend,
  FakePublisher,
  FakeSession,
  failure,
  silentLog,
  testMetrics,
} from "../pipeline/fakes.js";

/** The real pipeline (intake → scheduler → runBatch → settler) around a scripted backend. */
function pipeline(config: AgentConfig = agentConfig()) {
  const backend = new FakeBackend();
  backend.batchSize = config.delivery.batchSize;
  const session = new FakeSession();
  const publisher = new FakePublisher();
  const transitions: CircuitTransition[] = [];
  const held: number[] = [];
  const { metrics, read } = testMetrics();
  const parts = buildPipeline({
    config,
    metrics,
    log: silentLog,
    throttle: new LogThrottle(),
    publish: publisher.publish,
    onCircuit: (transition) => transitions.push(transition),
    onHeldChange: (count) => held.push(count),
    onProbeStarved: () => undefined,
    backend,
  });
  /** A delivery arrives as the agent hands it over. */
  function deliver(deliveryTag: number, content = "{}") {
    const { held: message, filtered } = parts.intake.admit(
      fakeMessage({ deliveryTag, content }),
      session.asSession,
    );
    parts.scheduler.admit(message, filtered ? { kind: "filtered" } : undefined);
  }
  return { ...parts, fake: backend, session, publisher, transitions, held, read, deliver };
}

describe("buildPipeline: the parts wired together", () => {
  it("a delivery is sent to the backend and acked on its session", async () => {
    const p = pipeline();
    p.deliver(5);
    assert.equal(await p.scheduler.whenIdle(5_000), true);
    assert.equal(p.fake.sent.length, 1);
    assert.deepEqual(p.session.calls, [["ack", 5]]);
    assert.deepEqual(p.held, [1, 0]);
    assert.equal(await p.read("invocations_total", { outcome: "ok" }), 1);
  });

  it("a message no filter pattern matches is acked without a call", async () => {
    const p = pipeline(agentConfig({ lambda: { filter_patterns: [{ data: { kind: ["order"] } }] } }));
    p.deliver(1, '{"kind":"refund"}');
    p.deliver(2, '{"kind":"order"}');
    assert.equal(await p.scheduler.whenIdle(5_000), true);
    assert.equal(p.fake.sent.length, 1);
    assert.deepEqual(p.session.calls.map(([, tag]) => tag).sort(), [1, 2]);
    assert.equal(await p.read("messages_filtered_total"), 1);
  });

  it("a dead letter that cannot be published falls back through the scheduler's decision: given back", async () => {
    const p = pipeline();
    p.fake.maxRetries = 0;
    p.fake.answer = (batch) => ({
      results: new Map(
        batch.map((out) => [out.id, { kind: "failed", failure: failure("bad_message"), scope: "message" }]),
      ),
      call: callReport(),
    });
    p.publisher.answer = () => Promise.reject(new Error("nacked"));
    p.deliver(9);
    assert.equal(await p.scheduler.whenIdle(5_000), true);
    assert.equal(p.publisher.published.length, 1, "the copy went to the publishing connection");
    assert.deepEqual(p.session.calls, [["giveBack", 9]]);
  });

  it("the breaker reports its transitions to the agent", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const p = pipeline(agentConfig({ amqp: { circuit_breaker: { failure_threshold: 1 } } }));
    p.fake.answer = () => ({ results: new Map(), call: callReport("server_error", "systemic") });
    p.deliver(1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(
      p.transitions.map((change) => [change.to, change.cause]),
      [["open", "platform_failures"]],
    );
    assert.equal(await p.scheduler.drain(1_000), true, "the held message goes back");
  });

  it("the default backend is the config's Lambda function", () => {
    const config = agentConfig({ lambda: { batch_size: 4, batch_window: "2s" } });
    const backend = backendOf(config);
    assert.equal(backend.label, "my-fn");
    assert.equal(backend.batchSize, 4);
    assert.equal(backend.batchWindowMs, 2_000);
    backend.close();
    assert.equal(pipeline().backend.label, "fake-fn", "a backend of the test's own replaces it");
  });
});
