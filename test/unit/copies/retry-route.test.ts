import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AGENT_HEADERS } from "../../../src/copies/agent-headers.js";
import {
  backendsDoneOf,
  retryOptions,
  retryState,
  setAsideOptions,
} from "../../../src/copies/retry-route.js";
import { fakeMessage, headers as headerTables, ownTable } from "../amqp-fixtures.js";

const h = AGENT_HEADERS;
const ROUNDS = 3;

/** A delivery back from a retry queue (or forged to look like one). */
const returned = (headers: Record<string, unknown>) =>
  fakeMessage({ exchange: "", routingKey: "orders", headers });

describe("retryState", () => {
  it("a fresh message is in round 0 with no origin", () => {
    const fresh = {
      round: 0,
      attemptsBefore: 0,
      roundAttempts: 0,
      setAside: 0,
      redriven: false,
      origin: undefined,
    };
    assert.deepEqual(retryState(fakeMessage(), ROUNDS), fresh);
    assert.deepEqual(retryState(fakeMessage({ headers: { tenant: "a" } }), ROUNDS), fresh);
  });

  it("reads the round, the attempts so far and the origin of a message back from a retry queue", () => {
    const state = retryState(
      returned({ [h.retryCount]: 2, [h.attempts]: 6, [h.exchange]: "shop", [h.routingKey]: "order.paid" }),
      ROUNDS,
    );
    assert.deepEqual(state, {
      round: 2,
      attemptsBefore: 6,
      roundAttempts: 0,
      setAside: 0,
      redriven: false,
      origin: { exchange: "shop", routingKey: "order.paid" },
    });
  });

  it("clamps a forged count to the schedule: a huge count only shortens it", () => {
    assert.equal(retryState(returned({ [h.retryCount]: 1_000_000 }), ROUNDS).round, ROUNDS);
    assert.equal(retryState(returned({ [h.retryCount]: Number.MAX_SAFE_INTEGER }), ROUNDS).round, ROUNDS);
    assert.equal(retryState(returned({ [h.retryCount]: 5 }), 0).round, 0, "no retry_delays: always round 0");
  });

  it("a count that is not a positive whole number is round 0", () => {
    for (const forged of [
      -1,
      0.5,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      "2",
      Buffer.from("2"),
      true,
      null,
      [2],
      { n: 2 },
    ]) {
      assert.equal(retryState(returned({ [h.retryCount]: forged }), ROUNDS).round, 0, String(forged));
    }
  });

  it("trusts the original exchange and routing key only after a round trip", () => {
    const fresh = retryState(returned({ [h.exchange]: "elsewhere", [h.routingKey]: "spoofed" }), ROUNDS);
    assert.equal(fresh.origin, undefined);
  });

  it("trusts only short strings as names", () => {
    const long = "k".repeat(256);
    const cases: Array<[unknown, unknown]> = [
      [long, "k"],
      ["x", long],
      [Buffer.from("x"), "k"],
      ["x", 5],
      [undefined, "k"],
    ];
    for (const [exchange, routingKey] of cases) {
      const state = retryState(
        returned({ [h.retryCount]: 1, [h.exchange]: exchange, [h.routingKey]: routingKey }),
        ROUNDS,
      );
      assert.equal(state.round, 1);
      assert.equal(
        state.origin,
        undefined,
        `${String(exchange).slice(0, 10)} / ${String(routingKey).slice(0, 10)}`,
      );
    }
    const atLimit = "é".repeat(127); // 254 bytes
    assert.deepEqual(
      retryState(returned({ [h.retryCount]: 1, [h.exchange]: atLimit, [h.routingKey]: "" }), ROUNDS).origin,
      { exchange: atLimit, routingKey: "" },
    );
    assert.equal(
      retryState(returned({ [h.retryCount]: 1, [h.exchange]: "é".repeat(128), [h.routingKey]: "" }), ROUNDS)
        .origin,
      undefined,
      "256 bytes in 128 characters",
    );
  });

  it("bounds the attempts of earlier rounds", () => {
    const read = (attempts: unknown) =>
      retryState(returned({ [h.retryCount]: 1, [h.attempts]: attempts }), ROUNDS).attemptsBefore;
    assert.equal(read(4), 4);
    assert.equal(read(1e12), 1_000_000);
    assert.equal(read(-3), 0);
    assert.equal(read("4"), 0);
  });

  it("never throws and stays within bounds on hostile headers (property)", () => {
    fc.assert(
      fc.property(headerTables, fc.nat(5), (extra, rounds) => {
        const state = retryState(returned(extra), rounds);
        assert.ok(Number.isInteger(state.round) && state.round >= 0 && state.round <= rounds);
        assert.ok(Number.isInteger(state.attemptsBefore) && state.attemptsBefore >= 0);
        if (state.round === 0) assert.equal(state.origin, undefined);
      }),
    );
  });
});

describe("retryOptions", () => {
  const message = fakeMessage({
    exchange: "shop",
    routingKey: "order.paid",
    headers: ownTable([
      ["tenant", "a"],
      ["CC", ["payments"]],
      ["BCC", ["audit"]],
      [h.retryCount, 1],
    ]),
    properties: { deliveryMode: 1, contentType: "application/json", expiration: "5000" },
  });
  const options = retryOptions(message, {
    round: 2,
    origin: { exchange: "shop", routingKey: "order.paid" },
    attempts: 6,
  });
  const headers = options.headers ?? {};

  it("carries the next round, the origin and the attempts so far", () => {
    assert.equal(headers[h.retryCount], 2);
    assert.equal(headers[h.exchange], "shop");
    assert.equal(headers[h.routingKey], "order.paid");
    assert.equal(headers[h.attempts], 6);
  });

  it("strips CC/BCC (kept for the record) and keeps the other headers", () => {
    assert.equal(Object.hasOwn(headers, "CC"), false);
    assert.equal(Object.hasOwn(headers, "BCC"), false);
    assert.deepEqual(headers[h.cc], ["payments"]);
    assert.deepEqual(headers[h.bcc], ["audit"]);
    assert.equal(headers.tenant, "a");
  });

  it("is persistent and cannot expire on the way (the retry queue's TTL decides)", () => {
    assert.equal(options.deliveryMode, 2);
    assert.equal(headers[h.deliveryMode], 1);
    assert.equal(Object.hasOwn(options, "expiration"), false);
    assert.equal(headers[h.expiration], "5000");
    assert.equal(options.contentType, "application/json");
  });

  it("round-trips through retryState", () => {
    const back = fakeMessage({ exchange: "", routingKey: "orders", headers, properties: options });
    assert.deepEqual(retryState(back, ROUNDS), {
      round: 2,
      attemptsBefore: 6,
      roundAttempts: 0,
      setAside: 0,
      redriven: false,
      origin: { exchange: "shop", routingKey: "order.paid" },
    });
  });
});

describe("setAsideOptions", () => {
  const original = fakeMessage({ exchange: "shop", routingKey: "order.paid", headers: { tenant: "a" } });
  const fresh = retryState(original, ROUNDS);

  it("carries its attempts of this round, its attempts in all, where it came from, and one more set-aside", () => {
    const options = setAsideOptions(original, {
      retry: fresh,
      origin: { exchange: "shop", routingKey: "order.paid" },
      roundAttempts: 2,
    });
    const back = fakeMessage({ exchange: "", routingKey: "orders", headers: options.headers });
    assert.deepEqual(retryState(back, ROUNDS, 2), {
      round: 0,
      attemptsBefore: 0,
      roundAttempts: 2,
      setAside: 1,
      redriven: false,
      origin: { exchange: "shop", routingKey: "order.paid" },
    });
    assert.equal(options.headers?.tenant, "a");
    assert.equal(options.deliveryMode, 2);
  });

  it("keeps the retry round of a message already back from a retry queue", () => {
    const inRound = retryState(
      returned({ [h.retryCount]: 1, [h.attempts]: 3, [h.exchange]: "shop", [h.routingKey]: "k" }),
      ROUNDS,
    );
    const options = setAsideOptions(original, {
      retry: inRound,
      origin: { exchange: "shop", routingKey: "k" },
      roundAttempts: 1,
    });
    const back = retryState(fakeMessage({ headers: options.headers }), ROUNDS, 2);
    assert.deepEqual([back.round, back.attemptsBefore, back.roundAttempts, back.setAside], [1, 3, 1, 1]);
  });

  it("a forged attempts count is clamped to max_retries: it can only shorten what is left", () => {
    const forged = returned({ [h.setAside]: 1, [h.attempts]: 99, [h.roundAttempts]: 99 });
    assert.equal(retryState(forged, ROUNDS, 2).roundAttempts, 2);
    const negative = returned({ [h.setAside]: 1, [h.attempts]: 5, [h.roundAttempts]: -4 });
    assert.equal(retryState(negative, ROUNDS, 2).roundAttempts, 0);
  });

  it("a retry copy starts its round with no attempts charged", () => {
    const setAside = returned({
      [h.setAside]: 2,
      [h.attempts]: 2,
      [h.roundAttempts]: 2,
      [h.exchange]: "shop",
      [h.routingKey]: "k",
    });
    const options = retryOptions(setAside, {
      round: 1,
      origin: { exchange: "shop", routingKey: "k" },
      attempts: 3,
    });
    assert.equal(Object.hasOwn(options.headers ?? {}, h.setAside), false);
    assert.equal(Object.hasOwn(options.headers ?? {}, h.roundAttempts), false);
  });
});

describe("backendsDoneOf: what a copy already succeeded on (several backends)", () => {
  const death = (queue: unknown) => ({ queue, reason: "expired", count: 1 });
  const back = (done: unknown, deaths: unknown) =>
    returned({ [h.backendsDone]: done, ...(deaths === undefined ? {} : { "x-death": deaths }) });

  it("trusted from the agent's own retry or set-aside queue, kept to the backends there are", () => {
    assert.deepEqual([...backendsDoneOf(back([0, 2], [death("orders.retry.5s")]), "orders", 3)], [0, 2]);
    assert.deepEqual([...backendsDoneOf(back([1], [death("orders.retry.setaside")]), "orders", 2)], [1]);
    const forgedIndexes = back([0, 3, -1, 1.5, "1", null], [death("elsewhere"), death("orders.retry.1s")]);
    assert.deepEqual([...backendsDoneOf(forgedIndexes, "orders", 3)], [0]);
  });

  it("ignored unless x-death names one of the agent's queues: a publisher can forge headers", () => {
    for (const deaths of [
      undefined,
      [],
      [death("orders")],
      [death("other.retry.5s")],
      [death(7)],
      ["orders.retry.5s"],
      [null],
      { queue: "orders.retry.5s" },
    ]) {
      assert.deepEqual([...backendsDoneOf(back([0], deaths), "orders", 2)], [], JSON.stringify(deaths));
    }
  });

  it("nothing done when the list is not a list", () => {
    assert.deepEqual([...backendsDoneOf(back("0,1", [death("orders.retry.5s")]), "orders", 2)], []);
    assert.deepEqual(
      [...backendsDoneOf(returned({ "x-death": [death("orders.retry.5s")] }), "orders", 2)],
      [],
    );
  });
});
