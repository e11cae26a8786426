import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  backendOf,
  buildPipeline,
  pipelineStatus,
  pipelineWaits,
} from "../../../src/agent/pipeline-parts.js";
import type { AgentConfig } from "../../../src/config/types.js";
import type { ReplyPublish } from "../../../src/copies/reply-message.js";
import { LogThrottle } from "../../../src/observability/log-throttle.js";
import type { CircuitTransition } from "../../../src/policy/circuit-breaker.js";
import type { ReplyPublisher } from "../../../src/settle/reply-sender.js";
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

/** The seed's Lambda backend entry, with extra `backend/lambda` fields. */
function lambdaEntry(lambda: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    host: ["http://127.0.0.1:8080"],
    url_pattern: "/__debug/",
    extra_config: {
      "backend/lambda": { function_name: "my-fn", region: "eu-west-1", max_retries: 1, ...lambda },
    },
  };
}

/** An HTTP backend entry (no backend/lambda), with agent options under amqp_lambda_agent/http. */
function httpEntry(http: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    host: ["http://api.internal:8080"],
    url_pattern: "/orders",
    method: "POST",
    extra_config: { "amqp_lambda_agent/http": { max_retries: 3, ...http }, ...extra },
  };
}

/** The real pipeline (intake → scheduler → runBatch → settler) around a scripted backend. */
function pipeline(config: AgentConfig = agentConfig(), publishReply?: ReplyPublisher) {
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
    publishReply,
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

/** Polls until `check` holds (real timers; these pipelines run in milliseconds). */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("buildPipeline: replies", () => {
  const replyConfig = (
    more: Record<string, unknown> = {},
    sections: { consumer?: Record<string, unknown> } = {},
  ) =>
    agentConfig({
      amqp: {
        reply: { mode: "exchange", exchange: "results" },
        circuit_breaker: { failure_threshold: 2, probe_interval: "100ms" },
        ...more,
      },
      ...sections,
    });

  it("a success's reply is confirmed before the ack", async () => {
    const published: ReplyPublish[] = [];
    const p = pipeline(replyConfig(), async (reply) => {
      published.push(reply);
      assert.deepEqual(p.session.calls, [], "not acked before the confirm");
      return "confirmed";
    });
    p.fake.answer = (batch) => ({
      results: new Map(
        batch.map((out) => [
          out.id,
          { kind: "succeeded", response: { body: Buffer.from("42"), contentType: "application/json" } },
        ]),
      ),
      call: callReport(),
    });
    p.deliver(5);
    assert.equal(await p.scheduler.whenIdle(5_000), true);
    assert.equal(published.length, 1);
    assert.equal(published[0]?.content.toString(), "42");
    assert.equal(published[0]?.exchange, "results");
    assert.deepEqual(p.session.calls, [["ack", 5]]);
  });

  it("failing publishes: never invoked again, the breaker opens, its probe is the reply, then the next message goes", async () => {
    let failures = 3;
    const p = pipeline(replyConfig(), async () => {
      if (failures-- > 0) throw Object.assign(new Error("NOT_FOUND - no exchange 'results'"), { code: 404 });
      return "confirmed";
    });
    const breakerAtCall: string[] = [];
    const answer = p.fake.answer;
    p.fake.answer = (batch) => {
      breakerAtCall.push(p.breaker.state);
      return answer(batch);
    };
    p.deliver(5);
    await until(() => p.breaker.state !== "closed", "the breaker to open");
    assert.equal(pipelineStatus(p).heldReplies, 1, "its reply is held");
    p.deliver(6);
    assert.equal(await p.scheduler.whenIdle(5_000), true);
    assert.deepEqual(
      p.fake.sent.map((batch) => batch.map((out) => out.message.fields.deliveryTag)),
      [[5], [6]],
      "each invoked once",
    );
    assert.deepEqual(breakerAtCall, ["closed", "closed"], "no invocation probed: the reply did");
    assert.ok(p.transitions.some((t) => t.to === "open" && t.cause === "platform_failures"));
    assert.equal(p.transitions.at(-1)?.to, "closed");
    assert.deepEqual(p.session.methods, ["ack", "ack"]);
  });

  it("order_key: a key's next message waits for the previous one's reply confirm", async () => {
    const confirms: Array<() => void> = [];
    const p = pipeline(
      replyConfig({}, { consumer: { order_key: "routing_key", workers: 4 } }),
      () => new Promise((resolve) => confirms.push(() => resolve("confirmed"))),
    );
    p.deliver(1);
    p.deliver(2);
    await until(() => confirms.length === 1, "the first reply");
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(p.fake.sent.length, 1, "the second of the key is not invoked before the confirm");
    confirms[0]?.();
    await until(() => confirms.length === 2, "the second reply");
    confirms[1]?.();
    assert.equal(await p.scheduler.whenIdle(5_000), true);
    assert.deepEqual(p.session.calls, [
      ["ack", 1],
      ["ack", 2],
    ]);
  });

  it("the drain timeout gives a waiting reply up: the broker redelivers its message", async () => {
    const p = pipeline(replyConfig({ circuit_breaker: { enabled: false } }), async () => {
      throw new Error("no publishing connection");
    });
    p.deliver(5);
    await until(() => pipelineStatus(p).heldReplies === 1, "a held reply");
    assert.equal(await p.scheduler.drain(50), false);
    assert.equal(p.scheduler.drainTimedOut(), 1);
    assert.equal(await p.scheduler.whenIdle(5_000), true);
    assert.deepEqual(p.session.calls, []);
    assert.equal(await p.read("messages_unsettled_total"), 1);
  });
});

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

  it("an entry without backend/lambda is an HTTP backend", () => {
    const backend = backendOf(agentConfig({ backends: [httpEntry()] }), { env: {} });
    assert.equal(backend.label, "POST http://api.internal:8080/orders");
    assert.equal(backend.maxRetries, 3);
    backend.close();
  });

  it("several backends become one fan-out, in order: one message per call, the largest max_retries", () => {
    const config = agentConfig({ backends: [lambdaEntry(), httpEntry()] });
    const backend = backendOf(config, { env: {} });
    assert.equal(backend.label, "my-fn + POST http://api.internal:8080/orders");
    assert.deepEqual([backend.batchSize, backend.maxRetries], [1, 3]);
    backend.close();
  });

  it("each backend's filter says whether it wants a message; wanted by none, it is filtered", () => {
    const config = agentConfig({
      backends: [
        lambdaEntry({ filter_patterns: [{ data: { kind: ["order"] } }] }),
        httpEntry({ filter_patterns: [{ data: { kind: ["refund"] } }] }),
        httpEntry(),
      ],
    });
    const p = pipeline(config);
    const admit = (content: string) => p.intake.admit(fakeMessage({ content }), p.session.asSession);
    const order = admit('{"kind":"order"}');
    assert.deepEqual([...(order.held.backendsWanted ?? [])], [0, 2]);
    assert.equal(order.filtered, false);
    assert.deepEqual([...(admit('{"kind":"refund"}').held.backendsWanted ?? [])], [1, 2]);
    const two = agentConfig({
      backends: [
        lambdaEntry({ filter_patterns: [{ data: { kind: ["order"] } }] }),
        httpEntry({ filter_patterns: [{ data: { kind: ["refund"] } }] }),
      ],
    });
    const none = pipeline(two).intake.admit(
      fakeMessage({ content: '{"kind":"other"}' }),
      p.session.asSession,
    );
    assert.equal(none.filtered, true);
  });

  it("the status shows what is held and running, the breaker and the limit; waits show the lanes", async () => {
    const p = pipeline();
    p.fake.answer = () => new Promise(() => undefined);
    assert.deepEqual(pipelineWaits(p), { lanes: 0, oldestWaitMs: 0 });
    p.deliver(1);
    p.deliver(2);
    assert.deepEqual(pipelineStatus(p), {
      inFlight: 2,
      held: 2,
      phases: { waiting: 0, running: 2, settling: 0 },
      circuit: "closed",
      concurrencyLimit: 5,
    });
    const waits = pipelineWaits(p);
    assert.equal(waits.lanes, 0);
    assert.ok(waits.oldestWaitMs >= 0 && waits.oldestWaitMs < 60_000, "since the first arrived");
  });
});
