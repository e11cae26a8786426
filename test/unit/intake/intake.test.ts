import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { AgentConfig } from "../../../src/config/types.js";
import { AGENT_HEADERS } from "../../../src/copies/agent-headers.js";
import { compileFilterPatterns, type MessageFilter } from "../../../src/filter/index.js";
import { Intake } from "../../../src/intake/intake.js";
import { KEYLESS_LANE } from "../../../src/intake/order-key.js";
import { type FakeMessage, fakeMessage, headers as headerTables } from "../amqp-fixtures.js";
import { agentConfig, FakeSession, LEVEL, recordingLog, silentLog } from "../pipeline/fakes.js";

const session = new FakeSession().asSession;

/** An intake with one filter per backend (`undefined`: that backend wants every message). */
function intake(
  config: AgentConfig,
  filters: Array<MessageFilter | undefined> = [undefined],
  log = silentLog,
) {
  return new Intake({ config, filters, batchSize: 7, maxRetries: 2, log, now: () => 42 });
}

const admit = (subject: Intake, message: FakeMessage = {}) => subject.admit(fakeMessage(message), session);

const retried = (round: unknown, extra: Record<string, unknown> = {}) => ({
  [AGENT_HEADERS.retryCount]: round,
  [AGENT_HEADERS.exchange]: "first-x",
  [AGENT_HEADERS.routingKey]: "first.rk",
  [AGENT_HEADERS.attempts]: 3,
  ...extra,
});

describe("Intake: a delivery becomes a held message", () => {
  it("waiting, on its session, with the batch size, the clock's arrival time and no lane", () => {
    const { held, filtered } = admit(intake(agentConfig()), { exchange: "x", routingKey: "rk" });
    assert.equal(filtered, false);
    assert.equal(held.phase, "waiting");
    assert.equal(held.session, session);
    assert.equal(held.maxBatch, 7);
    assert.equal(held.delivery.receivedAt, 42);
    assert.equal(held.lane, undefined);
    assert.deepEqual(held.origin, { exchange: "x", routingKey: "rk" });
  });

  it("back from a retry queue: its round, earlier attempts and first origin come from the headers", () => {
    const subject = intake(agentConfig({ amqp: { retry_delays: ["1s", "5s"] } }));
    const { held } = admit(subject, { exchange: "agent-x", routingKey: "retry.1s", headers: retried(1) });
    assert.deepEqual(held.retry, {
      round: 1,
      attemptsBefore: 3,
      roundAttempts: 0,
      setAside: 0,
      redriven: false,
      origin: { exchange: "first-x", routingKey: "first.rk" },
    });
    assert.deepEqual(held.origin, { exchange: "first-x", routingKey: "first.rk" });
  });

  it("a forged retry count only shortens the schedule; without retry_delays it means nothing", () => {
    const withSteps = intake(agentConfig({ amqp: { retry_delays: ["1s", "5s"] } }));
    assert.equal(admit(withSteps, { headers: retried(99) }).held.retry.round, 2);
    const { held } = admit(intake(agentConfig()), { routingKey: "rk", headers: retried(1) });
    assert.equal(held.retry.round, 0);
    assert.equal(held.origin.routingKey, "rk");
  });

  it("the order key gives the lane, read from the first origin's routing key", () => {
    const subject = intake(agentConfig({ consumer: { order_key: "routing_key" } }));
    const direct = admit(subject, { routingKey: "first.rk" }).held.lane;
    const withRetries = intake(
      agentConfig({ consumer: { order_key: "routing_key" }, amqp: { retry_delays: ["1s"] } }),
    );
    const back = admit(withRetries, { routingKey: "retry.1s", headers: retried(1) }).held.lane;
    assert.equal(typeof direct, "string");
    assert.equal(back, direct, "a retried message keeps its lane");
  });

  it("a body key that cannot be read puts the message in the keyless lane", () => {
    const subject = intake(agentConfig({ consumer: { order_key: "body:customer.id" } }));
    assert.equal(admit(subject, { content: "not json" }).held.lane, KEYLESS_LANE);
    const a = admit(subject, { content: '{"customer":{"id":"a"}}' }).held.lane;
    const b = admit(subject, { content: '{"customer":{"id":"b"}}' }).held.lane;
    assert.notEqual(a, b);
    assert.notEqual(a, KEYLESS_LANE);
  });
});

describe("Intake: filters", () => {
  const filter = compileFilterPatterns([{ data: { kind: ["order"] } }]);

  it("a message no pattern matches is filtered; one that matches is not", () => {
    const subject = intake(agentConfig(), [filter]);
    assert.equal(admit(subject, { content: '{"kind":"order"}' }).filtered, false);
    assert.equal(admit(subject, { content: '{"kind":"refund"}' }).filtered, true);
    assert.equal(admit(subject, { content: "not json" }).filtered, true);
  });

  const throwing: MessageFilter = {
    readsData: true,
    matches: () => {
      throw new Error("filter bug");
    },
  } as unknown as MessageFilter;

  it("a filter that throws is logged with the message's trace id; the message is still held", () => {
    const { log, lines } = recordingLog();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;
    const { held } = admit(intake(agentConfig(), [throwing], log), { headers: { traceparent } });
    assert.equal(held.phase, "waiting");
    assert.equal(lines[0]?.level, LEVEL.error);
    assert.match(lines[0]?.msg ?? "", /reading a message for filters or ordering failed/);
    assert.equal(lines[0]?.traceId, traceId);
  });

  it("a filter that throws: the message is still invoked, on every backend", {}, () => {
    assert.equal(admit(intake(agentConfig(), [throwing])).filtered, false, "one backend: invoked");
    const { held, filtered } = admit(intake(agentConfig(), [undefined, throwing]));
    assert.equal(filtered, false);
    assert.equal(held.backendsWanted?.has(1) ?? true, true, "the second backend is called too");
  });

  it("hostile headers and bodies never throw, with a filter and a header order key", () => {
    const subject = intake(agentConfig({ consumer: { order_key: "header:tenant" } }), [
      compileFilterPatterns([{ basicProperties: { headers: { tenant: [{ exists: true }] } } }]),
    ]);
    fc.assert(
      fc.property(headerTables, fc.uint8Array({ maxLength: 64 }), (headers, body) => {
        const { held } = subject.admit(fakeMessage({ headers, content: Buffer.from(body) }), session);
        assert.equal(typeof held.lane, "string");
      }),
      { numRuns: 200 },
    );
  });
});

describe("Intake: several backends", () => {
  const orders = compileFilterPatterns([{ data: { kind: ["order"] } }]);
  const refunds = compileFilterPatterns([{ data: { kind: ["refund"] } }]);
  const fromRetryQueue = (done: unknown) => ({
    [AGENT_HEADERS.backendsDone]: done,
    "x-death": [{ queue: "krakend.retry.1s", reason: "expired", count: 1 }],
  });

  it("the backends whose filter keeps the message (or that have none) want it; wanted by none, it is filtered", () => {
    const subject = intake(agentConfig(), [orders, refunds, undefined]);
    const order = admit(subject, { content: '{"kind":"order"}' });
    assert.deepEqual([...(order.held.backendsWanted ?? [])], [0, 2]);
    assert.equal(order.filtered, false);
    const onlyFiltered = intake(agentConfig(), [orders, refunds]);
    const other = admit(onlyFiltered, { content: '{"kind":"other"}' });
    assert.deepEqual([...(other.held.backendsWanted ?? [])], []);
    assert.equal(other.filtered, true);
  });

  it("without filters every backend wants it", () => {
    const { held, filtered } = admit(intake(agentConfig(), [undefined, undefined]));
    assert.equal(held.backendsWanted, undefined);
    assert.equal(filtered, false);
  });

  it("a copy back from the agent's own retry queue brings the backends it already succeeded on", () => {
    const subject = intake(agentConfig(), [undefined, undefined, undefined]);
    const { held } = admit(subject, { headers: fromRetryQueue([2, 7]) });
    assert.deepEqual([...held.backendsDone], [2], "only backends there are");
    const forged = admit(subject, { headers: { [AGENT_HEADERS.backendsDone]: [0, 1, 2] } });
    assert.deepEqual([...forged.held.backendsDone], [], "not from the agent's queues: every backend again");
  });

  it("one backend: no per-backend bookkeeping, whatever the headers say", () => {
    const { held } = admit(intake(agentConfig(), [orders]), {
      content: '{"kind":"order"}',
      headers: fromRetryQueue([0]),
    });
    assert.equal(held.backendsWanted, undefined);
    assert.deepEqual([...held.backendsDone], []);
  });

  it("a set-aside copy brings the attempts of its round, clamped to max_retries", () => {
    const { held } = admit(intake(agentConfig()), {
      headers: { [AGENT_HEADERS.setAside]: 1, [AGENT_HEADERS.attempts]: 9, [AGENT_HEADERS.roundAttempts]: 9 },
    });
    assert.deepEqual([held.retry.setAside, held.attempts], [1, 2]);
    assert.equal(held.fresh, false);
    assert.equal(held.failedAProbe, true);
  });
});
