import type { ConsumerSession } from "../amqp/consumer-session.js";
import type { Held } from "./delivery.js";

export interface BatchLimits {
  now: number;
  maxMessages: number;
  maxBytes: number;
  /** Bytes a message adds to the payload. */
  sizeOf(held: Held): number;
}

/**
 * The messages the agent holds, in arrival order, and which may run next. With ordering lanes a
 * lane's messages run one batch at a time and in order: a lane with a message running, or whose
 * first waiting message may not go yet (its retry backoff, another channel, no room in the batch),
 * contributes nothing further. A message put back (a retry) keeps its place in arrival order.
 */
export class HeldMessages {
  /** Not running, in arrival order (ids grow with arrival). */
  private readonly waiting: Held[] = [];
  private readonly running = new Set<Held>();
  /** Messages running per lane. */
  private readonly runningLanes = new Map<string, number>();

  get size(): number {
    return this.waiting.length + this.running.size;
  }

  get runningCount(): number {
    return this.running.size;
  }

  add(held: Held): void {
    const last = this.waiting[this.waiting.length - 1];
    if (!last || last.id < held.id) this.waiting.push(held);
    else this.waiting.splice(this.insertionIndex(held.id), 0, held);
  }

  /** The next batch that may start now, without taking it. */
  select(limits: BatchLimits): Held[] {
    const batch: Held[] = [];
    const blocked = new Set<string>();
    let session: ConsumerSession | undefined;
    let bytes = 0;
    // The smallest maxBatch of the messages taken so far.
    let cap = limits.maxMessages;
    for (const held of this.waiting) {
      if (batch.length >= limits.maxMessages) break;
      const lane = held.lane;
      if (lane !== undefined && (blocked.has(lane) || this.runningLanes.has(lane))) continue;
      const size = held.readyAt <= limits.now ? limits.sizeOf(held) : 0;
      const fits =
        held.readyAt <= limits.now &&
        (session === undefined || held.delivery.session === session) &&
        batch.length < Math.min(cap, held.maxBatch) &&
        (batch.length === 0 || bytes + size <= limits.maxBytes);
      if (!fits) {
        if (lane !== undefined) blocked.add(lane);
        continue;
      }
      session ??= held.delivery.session;
      cap = Math.min(cap, held.maxBatch);
      bytes += size;
      batch.push(held);
    }
    return batch;
  }

  /** The ready lane head that served as a probe longest ago: one message to test the platform with. */
  selectProbe(now: number): Held | undefined {
    let best: Held | undefined;
    const blocked = new Set<string>();
    for (const held of this.waiting) {
      const lane = held.lane;
      if (lane !== undefined && (blocked.has(lane) || this.runningLanes.has(lane))) continue;
      if (lane !== undefined) blocked.add(lane);
      if (held.readyAt > now) continue;
      if (!best || held.probedAt < best.probedAt) best = held;
    }
    return best;
  }

  /** Marks a selected batch as running. */
  start(batch: readonly Held[]): void {
    const taken = new Set(batch);
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (taken.has(this.waiting[i] as Held)) this.waiting.splice(i, 1);
    }
    for (const held of batch) {
      held.running = true;
      this.running.add(held);
      if (held.lane !== undefined)
        this.runningLanes.set(held.lane, (this.runningLanes.get(held.lane) ?? 0) + 1);
    }
  }

  /** A running message waits again (a retry, or not delivered in its batch). */
  putBack(held: Held): void {
    if (!this.stopRunning(held)) return;
    this.add(held);
  }

  /** A message is done (settled, handed back or dropped). */
  finish(held: Held): void {
    if (this.stopRunning(held)) return;
    const index = this.waiting.indexOf(held);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  /** Removes and returns the waiting messages that match (e.g. of a closed channel, or all on shutdown). */
  takeWaiting(match: (held: Held) => boolean = () => true): Held[] {
    const taken: Held[] = [];
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const held = this.waiting[i] as Held;
      if (match(held)) {
        taken.push(held);
        this.waiting.splice(i, 1);
      }
    }
    return taken.reverse();
  }

  /** Earliest time a waiting message becomes ready, if any is not ready yet. */
  nextReadyAt(now: number): number | undefined {
    let next: number | undefined;
    for (const held of this.waiting) {
      if (held.readyAt > now && (next === undefined || held.readyAt < next)) next = held.readyAt;
    }
    return next;
  }

  /** When the oldest held message arrived (performance.now() ms), if any is held. */
  oldestReceivedAt(): number | undefined {
    let oldest: number | undefined;
    for (const held of [...this.waiting, ...this.running]) {
      if (oldest === undefined || held.delivery.receivedAt < oldest) oldest = held.delivery.receivedAt;
    }
    return oldest;
  }

  /** Ordering lanes with messages waiting, and how long the longest-waiting one has waited. */
  laneWaits(now: number): { lanes: number; oldestWaitMs: number } {
    const lanes = new Set<string>();
    let oldestWaitMs = 0;
    for (const held of this.waiting) {
      if (held.lane === undefined) continue;
      lanes.add(held.lane);
      oldestWaitMs = Math.max(oldestWaitMs, now - held.delivery.receivedAt);
    }
    return { lanes: lanes.size, oldestWaitMs };
  }

  private stopRunning(held: Held): boolean {
    if (!this.running.delete(held)) return false;
    held.running = false;
    if (held.lane !== undefined) {
      const count = (this.runningLanes.get(held.lane) ?? 1) - 1;
      if (count <= 0) this.runningLanes.delete(held.lane);
      else this.runningLanes.set(held.lane, count);
    }
    return true;
  }

  private insertionIndex(id: number): number {
    let low = 0;
    let high = this.waiting.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.waiting[mid] as Held).id < id) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
