import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { ConsumerSession } from "../../../src/amqp/consumer-session.js";
import { HeldMessage as Held, IllegalPhaseChange } from "../../../src/held/held-message.js";
import { type BatchLimits, HeldMessages } from "../../../src/held/held-messages.js";
import { fakeMessage } from "../amqp-fixtures.js";

const sessionA = { alive: true, name: "A" } as unknown as ConsumerSession;
const sessionB = { alive: true, name: "B" } as unknown as ConsumerSession;

interface HeldOptions {
  lane?: string;
  session?: ConsumerSession;
  /** Body size: what `sizeOf` below reports. */
  bytes?: number;
  receivedAt?: number;
  maxBatch?: number;
  name?: string;
}

/** A held message; ids grow with every call, so calls are arrivals in order. */
function held(options: HeldOptions = {}): Held {
  const message = fakeMessage({
    content: Buffer.alloc(options.bytes ?? 10),
    routingKey: options.name ?? "m",
  });
  return new Held(
    { message, session: options.session ?? sessionA, receivedAt: options.receivedAt ?? 0 },
    { round: 0, attemptsBefore: 0, roundAttempts: 0, setAside: 0, redriven: false, origin: undefined },
    options.lane,
    options.maxBatch ?? 100,
  );
}

/** A test message's name, kept in its routing key. */
const name = (h: Held) => h.delivery.message.fields.routingKey;
const names = (batch: readonly Held[]) => batch.map(name);

function limits(overrides: Partial<BatchLimits> = {}): BatchLimits {
  return {
    now: 0,
    maxMessages: 10,
    maxBytes: 1_000_000,
    sizeOf: (h) => h.delivery.message.content.byteLength,
    ...overrides,
  };
}

/** Adds messages in arrival order and returns them. */
function arrive<T extends HeldOptions[]>(messages: HeldMessages, ...options: T): { [K in keyof T]: Held } {
  const list = options.map((o) => held(o));
  for (const h of list) messages.add(h);
  return list as { [K in keyof T]: Held };
}

describe("HeldMessages without lanes", () => {
  it("selects in arrival order, without taking", () => {
    const messages = new HeldMessages();
    arrive(messages, { name: "a" }, { name: "b" }, { name: "c" });
    assert.deepEqual(names(messages.select(limits())), ["a", "b", "c"]);
    assert.deepEqual(names(messages.select(limits())), ["a", "b", "c"], "select does not take");
    assert.equal(messages.size, 3);
    assert.equal(messages.inFlight, 0);
  });

  it("adds a message that arrives out of id order at its place", () => {
    const messages = new HeldMessages();
    const [a, b, c] = [held({ name: "a" }), held({ name: "b" }), held({ name: "c" })] as [Held, Held, Held];
    messages.add(c);
    messages.add(a);
    messages.add(b);
    assert.deepEqual(names(messages.select(limits())), ["a", "b", "c"]);
  });

  it("respects maxMessages", () => {
    const messages = new HeldMessages();
    arrive(messages, { name: "a" }, { name: "b" }, { name: "c" });
    assert.deepEqual(names(messages.select(limits({ maxMessages: 2 }))), ["a", "b"]);
  });

  it("respects the byte budget but always lets one message through", () => {
    const messages = new HeldMessages();
    arrive(messages, { name: "a", bytes: 40 }, { name: "big", bytes: 80 }, { name: "c", bytes: 50 });
    assert.deepEqual(names(messages.select(limits({ maxBytes: 100 }))), ["a", "c"]);
    const alone = new HeldMessages();
    alone.add(held({ name: "huge", bytes: 500 }));
    assert.deepEqual(names(alone.select(limits({ maxBytes: 100 }))), ["huge"]);
  });

  it("keeps a batch within the smallest maxBatch of its messages", () => {
    const messages = new HeldMessages();
    arrive(messages, { name: "a", maxBatch: 2 }, { name: "b" }, { name: "c" }, { name: "d" });
    assert.deepEqual(names(messages.select(limits())), ["a", "b"]);
    const second = new HeldMessages();
    arrive(second, { name: "a" }, { name: "b" }, { name: "one", maxBatch: 1 });
    assert.deepEqual(names(second.select(limits())), ["a", "b"], "a message that must go alone waits");
  });

  it("never mixes sessions in a batch", () => {
    const messages = new HeldMessages();
    arrive(
      messages,
      { name: "a1", session: sessionA },
      { name: "b1", session: sessionB },
      { name: "a2", session: sessionA },
    );
    const first = messages.select(limits());
    assert.deepEqual(names(first), ["a1", "a2"]);
    messages.start(first);
    assert.deepEqual(names(messages.select(limits())), ["b1"]);
  });

  it("skips a message that is not ready yet, and says when it will be", () => {
    const messages = new HeldMessages();
    const [a] = arrive(messages, { name: "a" }, { name: "b" });
    a.readyAt = 500;
    assert.deepEqual(names(messages.select(limits({ now: 100 }))), ["b"]);
    assert.equal(messages.nextReadyAt(100), 500);
    assert.deepEqual(names(messages.select(limits({ now: 500 }))), ["a", "b"]);
    assert.equal(messages.nextReadyAt(500), undefined);
  });

  it("start takes a batch; a message put back keeps its place in arrival order", () => {
    const messages = new HeldMessages();
    const [a, b] = arrive(messages, { name: "a" }, { name: "b" }, { name: "c" });
    messages.start([a, b]);
    assert.equal(a.phase, "running");
    assert.equal(messages.inFlight, 2);
    assert.deepEqual(names(messages.select(limits())), ["c"]);
    messages.putBack(b);
    assert.equal(b.phase, "waiting");
    assert.deepEqual(names(messages.select(limits())), ["b", "c"]);
    messages.beginSettling(a);
    assert.deepEqual(messages.phaseCounts(), { waiting: 2, running: 0, settling: 1 });
    messages.finish(a);
    assert.equal(a.phase, "done");
    assert.equal(messages.size, 2);
    assert.equal(messages.inFlight, 0);
  });

  it("a waiting message settles and finishes without running", () => {
    const messages = new HeldMessages();
    const [a] = arrive(messages, { name: "a" });
    messages.beginSettling(a);
    assert.deepEqual(messages.select(limits()), [], "a settling message is never selected");
    messages.finish(a);
    assert.equal(messages.size, 0);
  });

  it("every illegal phase change throws and changes nothing", () => {
    const messages = new HeldMessages();
    const [a, b] = arrive(messages, { name: "a" }, { name: "b" });
    assert.throws(() => messages.putBack(a), IllegalPhaseChange, "waiting → waiting");
    assert.throws(() => messages.finish(a), IllegalPhaseChange, "waiting → done skips settling");
    messages.start([a]);
    assert.throws(() => messages.start([a]), IllegalPhaseChange, "running → running");
    assert.throws(() => messages.finish(a), IllegalPhaseChange, "running → done skips settling");
    messages.beginSettling(a);
    assert.throws(() => messages.putBack(a), IllegalPhaseChange, "settling → waiting");
    assert.throws(() => messages.beginSettling(a), IllegalPhaseChange, "settling → settling");
    messages.finish(a);
    assert.throws(() => messages.add(a), IllegalPhaseChange, "a done message is not held again");
    assert.throws(() => messages.finish(a), IllegalPhaseChange, "done → done");
    assert.deepEqual(messages.phaseCounts(), { waiting: 1, running: 0, settling: 0 });
    assert.equal(b.phase, "waiting");
  });

  it("a settling message keeps its lane busy until it is done", () => {
    const messages = new HeldMessages();
    const [x1] = arrive(messages, { name: "x1", lane: "x" }, { name: "x2", lane: "x" });
    messages.start([x1]);
    messages.beginSettling(x1);
    assert.deepEqual(messages.select(limits()), [], "x2 waits for x1's settlement (its copy's confirm)");
    messages.finish(x1);
    assert.deepEqual(names(messages.select(limits())), ["x2"]);
  });

  it("waitingWhere lists the matching waiting messages in arrival order", () => {
    const messages = new HeldMessages();
    const [a, b, c] = arrive(
      messages,
      { name: "a", session: sessionB },
      { name: "b" },
      { name: "c", session: sessionB },
    );
    messages.start([b]);
    assert.deepEqual(
      messages.waitingWhere((h) => h.delivery.session === sessionB),
      [a, c],
    );
    messages.start([a, c]);
    assert.deepEqual(messages.waitingWhere(), [], "running messages are not waiting");
    assert.equal(messages.size, 3);
  });

  it("oldestReceivedAt covers waiting and running messages", () => {
    const messages = new HeldMessages();
    assert.equal(messages.oldestReceivedAt(), undefined);
    const [a] = arrive(messages, { receivedAt: 5 }, { receivedAt: 9 });
    messages.start([a]);
    assert.equal(messages.oldestReceivedAt(), 5);
    messages.beginSettling(a);
    assert.equal(messages.oldestReceivedAt(), 5, "settling messages are still held");
    messages.finish(a);
    assert.equal(messages.oldestReceivedAt(), 9);
  });
});

describe("HeldMessages with lanes", () => {
  it("a batch may carry several messages of a lane, in order", () => {
    const messages = new HeldMessages();
    arrive(messages, { name: "x1", lane: "x" }, { name: "y1", lane: "y" }, { name: "x2", lane: "x" });
    assert.deepEqual(names(messages.select(limits())), ["x1", "y1", "x2"]);
  });

  it("runs at most one batch per lane", () => {
    const messages = new HeldMessages();
    arrive(messages, { name: "x1", lane: "x" }, { name: "x2", lane: "x" }, { name: "y1", lane: "y" });
    const first = messages.select(limits({ maxMessages: 1 }));
    assert.deepEqual(names(first), ["x1"]);
    messages.start(first);
    assert.deepEqual(names(messages.select(limits())), ["y1"], "x2 waits while x1 runs");
    messages.beginSettling(first[0] as Held);
    messages.finish(first[0] as Held);
    assert.deepEqual(names(messages.select(limits())), ["x2", "y1"]);
  });

  it("a not-ready head blocks its lane but not the other lanes", () => {
    const messages = new HeldMessages();
    const [x1] = arrive(
      messages,
      { name: "x1", lane: "x" },
      { name: "x2", lane: "x" },
      { name: "y1", lane: "y" },
    );
    x1.readyAt = 1000;
    assert.deepEqual(names(messages.select(limits({ now: 0 }))), ["y1"]);
    assert.deepEqual(names(messages.select(limits({ now: 1000 }))), ["x1", "x2", "y1"]);
  });

  it("a message put back goes before its lane's later messages", () => {
    const messages = new HeldMessages();
    const [x1, x2] = arrive(messages, { name: "x1", lane: "x" }, { name: "x2", lane: "x" });
    messages.start([x1, x2]);
    x1.readyAt = 200;
    messages.putBack(x1);
    messages.putBack(x2);
    assert.deepEqual(messages.select(limits({ now: 100 })), [], "x2 does not overtake x1");
    assert.deepEqual(names(messages.select(limits({ now: 200 }))), ["x1", "x2"]);
  });

  it("a head that does not fit (bytes, session, maxBatch) blocks its lane for this batch", () => {
    const bytes = new HeldMessages();
    arrive(
      bytes,
      { name: "a", lane: "a", bytes: 60 },
      { name: "x1", lane: "x", bytes: 60 },
      { name: "x2", lane: "x", bytes: 10 },
    );
    assert.deepEqual(names(bytes.select(limits({ maxBytes: 100 }))), ["a"], "x2 must not go without x1");

    const sessions = new HeldMessages();
    arrive(
      sessions,
      { name: "a", lane: "a" },
      { name: "x1", lane: "x", session: sessionB },
      { name: "x2", lane: "x" },
    );
    assert.deepEqual(names(sessions.select(limits())), ["a"]);

    const batch = new HeldMessages();
    arrive(
      batch,
      { name: "a", lane: "a" },
      { name: "x1", lane: "x", maxBatch: 1 },
      { name: "x2", lane: "x" },
    );
    assert.deepEqual(names(batch.select(limits())), ["a"]);
  });

  it("laneWaits counts lanes with waiting messages and the longest wait", () => {
    const messages = new HeldMessages();
    assert.deepEqual(messages.laneWaits(100), { lanes: 0, oldestWaitMs: 0 });
    const [x1] = arrive(
      messages,
      { lane: "x", receivedAt: 10 },
      { lane: "x", receivedAt: 20 },
      { lane: "y", receivedAt: 40 },
      { receivedAt: 0 },
    );
    assert.deepEqual(messages.laneWaits(100), { lanes: 2, oldestWaitMs: 90 });
    messages.start([x1]);
    assert.deepEqual(
      messages.laneWaits(100),
      { lanes: 2, oldestWaitMs: 80 },
      "a running message does not wait",
    );
  });
});

describe("HeldMessages.selectProbe", () => {
  it("takes the ready message probed longest ago, first arrival on a tie", () => {
    const messages = new HeldMessages();
    const [a, b, c] = arrive(messages, { name: "a" }, { name: "b" }, { name: "c" });
    assert.equal(messages.selectProbe(0), a);
    a.probedAt = 1;
    assert.equal(messages.selectProbe(0), b);
    b.probedAt = 2;
    assert.equal(messages.selectProbe(0), c);
    c.probedAt = 3;
    assert.equal(messages.selectProbe(0), a, "rotates back to the least recently probed");
  });

  it("skips messages that are not ready; undefined when none is", () => {
    const messages = new HeldMessages();
    const [a] = arrive(messages, { name: "a" });
    a.readyAt = 50;
    assert.equal(messages.selectProbe(10), undefined);
    assert.equal(messages.selectProbe(50), a);
  });

  it("only probes with a lane's head, and never with a running lane", () => {
    const messages = new HeldMessages();
    const [x1, x2, y1] = arrive(
      messages,
      { name: "x1", lane: "x" },
      { name: "x2", lane: "x" },
      { name: "y1", lane: "y" },
    );
    x1.probedAt = 5;
    y1.probedAt = 5;
    assert.equal(messages.selectProbe(0), x1, "x2 was never probed, but it is not its lane's head");
    x1.readyAt = 100;
    assert.equal(messages.selectProbe(0), y1, "a not-ready head blocks its lane");
    messages.start([y1]);
    assert.equal(messages.selectProbe(0), undefined);
    assert.equal(x2.phase, "waiting");
  });
});

// ---------------------------------------------------------------------------------------------
// Issue 13 acceptance: any interleaving of arrivals, batches, completions, retries and time keeps
// each lane in order and never runs a lane twice at once.

const LANES = ["a", "b", "c", "keyless"] as const;

type Op =
  | { op: "arrive"; lane: (typeof LANES)[number]; session: 0 | 1; bytes: number }
  | { op: "start"; maxMessages: number; maxBytes: number }
  /** Resolves the next message of a running batch, front to back, as the dispatcher does. */
  | { op: "resolve"; batch: number; outcome: "done" | "retry" | "split"; delayMs: number }
  | { op: "advance"; ms: number };

const operation: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant("arrive" as const),
      lane: fc.constantFrom(...LANES),
      session: fc.constantFrom(0 as const, 1 as const),
      bytes: fc.integer({ min: 1, max: 60 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("start" as const),
      maxMessages: fc.integer({ min: 1, max: 4 }),
      maxBytes: fc.integer({ min: 20, max: 150 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("resolve" as const),
      batch: fc.nat(),
      outcome: fc.constantFrom("done" as const, "done" as const, "retry" as const, "split" as const),
      delayMs: fc.integer({ min: 0, max: 50 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({ op: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 40 }) }),
    weight: 1,
  },
);

interface Running {
  messages: Held[];
  /** Lanes in which a message of this batch did not finish: the later ones of the lane did not count. */
  failedLanes: Set<string>;
}

/** Drives HeldMessages as the dispatcher does and checks the ordering invariants at every step. */
class LaneModel {
  readonly held = new HeldMessages();
  now = 0;
  readonly running: Running[] = [];
  /** Arrival order per lane. */
  readonly arrivals = new Map<string, Held[]>();
  readonly finished = new Set<Held>();
  readonly started = new Set<Held>();
  private readonly sessions = [sessionA, sessionB];

  arrive(lane: string, session: 0 | 1, bytes: number): void {
    const h = held({ lane, session: this.sessions[session], bytes, receivedAt: this.now });
    const list = this.arrivals.get(lane) ?? [];
    list.push(h);
    this.arrivals.set(lane, list);
    this.held.add(h);
  }

  start(maxMessages: number, maxBytes: number): boolean {
    const batchLimits = limits({ now: this.now, maxMessages, maxBytes });
    const batch = this.held.select(batchLimits);
    if (batch.length === 0) return false;
    this.checkBatch(batch, batchLimits);
    this.held.start(batch);
    for (const h of batch) this.started.add(h);
    this.running.push({ messages: [...batch], failedLanes: new Set() });
    return true;
  }

  resolve(pick: number, outcome: "done" | "retry" | "split", delayMs: number): void {
    if (this.running.length === 0) return;
    const index = pick % this.running.length;
    const batch = this.running[index] as Running;
    const h = batch.messages.shift() as Held;
    if (batch.messages.length === 0) this.running.splice(index, 1);
    const lane = h.lane as string;
    if (outcome === "done" && !batch.failedLanes.has(lane)) {
      for (const earlier of this.arrivals.get(lane) ?? []) {
        if (earlier === h) break;
        assert.ok(this.finished.has(earlier), `lane ${lane}: a message finished before an earlier one`);
      }
      this.finished.add(h);
      this.held.beginSettling(h);
      this.held.finish(h);
      return;
    }
    batch.failedLanes.add(lane);
    if (outcome === "split") h.maxBatch = Math.max(1, Math.ceil(h.maxBatch / 2));
    h.readyAt = this.now + (outcome === "retry" ? delayMs : 0);
    this.held.putBack(h);
  }

  private checkBatch(batch: readonly Held[], batchLimits: BatchLimits): void {
    assert.ok(batch.length <= batchLimits.maxMessages, "more messages than maxMessages");
    assert.ok(
      batch.every((h) => h.delivery.session === batch[0]?.delivery.session),
      "a batch mixes sessions",
    );
    const bytes = batch.reduce((sum, h) => sum + batchLimits.sizeOf(h), 0);
    assert.ok(batch.length === 1 || bytes <= batchLimits.maxBytes, "over the byte budget");
    assert.ok(
      batch.every((h) => batch.length <= h.maxBatch),
      "a batch larger than a message's maxBatch",
    );
    const runningLanes = new Set(this.running.flatMap((r) => r.messages.map((h) => h.lane)));
    for (const [position, h] of batch.entries()) {
      const lane = h.lane as string;
      assert.ok(h.readyAt <= this.now, "a message started before it was ready");
      assert.ok(!runningLanes.has(lane), `lane ${lane} started while one of its messages runs`);
      // Every earlier message of the lane is finished, or ahead of it in this batch.
      const ahead = new Set(batch.slice(0, position));
      for (const earlier of this.arrivals.get(lane) ?? []) {
        if (earlier === h) break;
        assert.ok(
          this.finished.has(earlier) || ahead.has(earlier),
          `lane ${lane}: a message started before an earlier one was done`,
        );
      }
    }
  }
}

describe("HeldMessages lane scheduling (property)", () => {
  it("keeps every lane in arrival order, one batch at a time, and never gets stuck", () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 120 }), (ops) => {
        const model = new LaneModel();
        for (const step of ops) {
          if (step.op === "arrive") model.arrive(step.lane, step.session, step.bytes);
          else if (step.op === "start") model.start(step.maxMessages, step.maxBytes);
          else if (step.op === "resolve") model.resolve(step.batch, step.outcome, step.delayMs);
          else model.now += step.ms;
          const runningMessages = model.running.reduce((sum, r) => sum + r.messages.length, 0);
          assert.equal(model.held.inFlight, runningMessages);
        }
        // Drain: everything eventually succeeds, in order, and something can always start.
        model.now += 1_000;
        for (let guard = 0; model.held.size > 0; guard++) {
          assert.ok(guard < 10_000, "draining did not finish");
          if (model.running.length === 0) {
            assert.ok(model.start(4, 150), "nothing runs and nothing can start, yet messages are held");
          } else {
            model.start(4, 150);
            model.resolve(0, "done", 0);
          }
        }
        const total = [...model.arrivals.values()].reduce((sum, list) => sum + list.length, 0);
        assert.equal(model.finished.size, total);
      }),
      { numRuns: 300 },
    );
  });
});
