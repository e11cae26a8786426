import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Delivery } from "../../../src/agent/delivery.js";
import { Dispatcher } from "../../../src/agent/dispatcher.js";
import { waitFor } from "../../helpers/wait.js";

const liveSession = { alive: true } as Delivery["session"];
const deadSession = { alive: false } as Delivery["session"];

function delivery(
  tag: number,
  bytes = 10,
  alive = true,
  session = alive ? liveSession : deadSession,
): Delivery {
  return {
    message: {
      content: Buffer.alloc(bytes),
      fields: { deliveryTag: tag },
      properties: {},
    } as unknown as Delivery["message"],
    session,
    receivedAt: performance.now(),
  };
}

function controlled() {
  const started: Delivery[][] = [];
  const finishers: Array<() => void> = [];
  const run = (batch: Delivery[]) =>
    new Promise<void>((resolve) => {
      started.push(batch);
      finishers.push(resolve);
    });
  return { started, finishers, run };
}

describe("Dispatcher", () => {
  it("runs at most `workers` batches at once and starts the next when one finishes", async () => {
    const { started, finishers, run } = controlled();
    const d = new Dispatcher(
      { workers: 2, batchSize: 1, batchWindowMs: 0, maxBacklog: 100 },
      run,
      () => undefined,
    );
    for (let i = 1; i <= 5; i++) d.push(delivery(i));
    assert.equal(started.length, 2);
    assert.equal(d.held, 5);
    finishers[0]?.();
    await waitFor("third batch", () => started.length === 3);
    assert.deepEqual(
      started.map((b) => b.map((x) => x.message.fields.deliveryTag)),
      [[1], [2], [3]],
    );
  });

  it("fills a batch up to batch_size", () => {
    const { started, run } = controlled();
    const d = new Dispatcher(
      { workers: 1, batchSize: 3, batchWindowMs: 10_000, maxBacklog: 100 },
      run,
      () => undefined,
    );
    for (let i = 1; i <= 7; i++) d.push(delivery(i));
    assert.deepEqual(
      started.map((b) => b.length),
      [3],
    );
  });

  it("never puts messages of two channels in one batch (delivery tags restart on a new channel)", () => {
    const { started, run } = controlled();
    const d = new Dispatcher(
      { workers: 2, batchSize: 10, batchWindowMs: 60_000, maxBacklog: 100 },
      run,
      () => undefined,
    );
    const newSession = { alive: true } as Delivery["session"];
    for (const [tag, session] of [
      [1, liveSession],
      [2, liveSession],
      [1, newSession],
      [2, newSession],
    ] as const) {
      d.push(delivery(tag, 10, true, session));
    }
    d.flush();
    assert.deepEqual(
      started.map((b) => b.map((x) => x.session === newSession)),
      [
        [false, false],
        [true, true],
      ],
    );
  });

  it("sends a partial batch once the window has passed", async () => {
    const { started, run } = controlled();
    const d = new Dispatcher(
      { workers: 1, batchSize: 10, batchWindowMs: 30, maxBacklog: 100 },
      run,
      () => undefined,
    );
    d.push(delivery(1));
    d.push(delivery(2));
    assert.equal(started.length, 0);
    await waitFor("window flush", () => started.length === 1, 2000, 5);
    assert.equal(started[0]?.length, 2);
  });

  it("cuts a batch before Lambda's 6 MB payload limit", () => {
    const { started, run } = controlled();
    const d = new Dispatcher(
      { workers: 1, batchSize: 10, batchWindowMs: 60_000, maxBacklog: 100 },
      run,
      () => undefined,
    );
    for (let i = 1; i <= 4; i++) d.push(delivery(i, 2 * 1024 * 1024));
    assert.equal(started.length, 0);
    d.flush();
    assert.equal(started[0]?.length, 2);
  });

  it("reports back-pressure at max_backlog and relief at half", async () => {
    const { finishers, run } = controlled();
    const pressure: boolean[] = [];
    const d = new Dispatcher({ workers: 1, batchSize: 1, batchWindowMs: 0, maxBacklog: 4 }, run, (full) =>
      pressure.push(full),
    );
    for (let i = 1; i <= 4; i++) d.push(delivery(i));
    assert.deepEqual(pressure, [true]);
    finishers[0]?.();
    await waitFor("second start", () => finishers.length === 2);
    finishers[1]?.();
    await waitFor("relief", () => pressure.length === 2);
    assert.deepEqual(pressure, [true, false]);
  });

  it("gives back unstarted messages and drops dead ones", () => {
    const { run } = controlled();
    const d = new Dispatcher(
      { workers: 1, batchSize: 1, batchWindowMs: 0, maxBacklog: 100 },
      run,
      () => undefined,
    );
    d.push(delivery(1));
    d.push(delivery(2, 10, false));
    d.push(delivery(3));
    assert.equal(d.discardDead(), 1);
    assert.deepEqual(
      d.takeUnstarted().map((x) => x.message.fields.deliveryTag),
      [3],
    );
    assert.equal(d.held, 1);
  });

  it("whenIdle resolves when the last batch finishes, or false at the deadline", async () => {
    const { finishers, run } = controlled();
    const d = new Dispatcher(
      { workers: 1, batchSize: 1, batchWindowMs: 0, maxBacklog: 100 },
      run,
      () => undefined,
    );
    d.push(delivery(1));
    assert.equal(await d.whenIdle(20), false);
    const idle = d.whenIdle(5000);
    finishers[0]?.();
    assert.equal(await idle, true);
  });
});
