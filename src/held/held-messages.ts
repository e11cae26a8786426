import type { ConsumerSession } from "../amqp/consumer-session.js";
import { type HeldMessage, IllegalPhaseChange, type Phase } from "./held-message.js";

export interface BatchLimits {
  now: number;
  maxMessages: number;
  maxBytes: number;
  /** Bytes a message adds to the payload. */
  sizeOf(held: HeldMessage): number;
}

export type PhaseCounts = Record<Exclude<Phase, "done">, number>;

/**
 * The messages the agent holds, by phase, and which may run next. Every phase change of a held
 * message goes through here. With ordering lanes a lane's messages run one batch at a time and in
 * order: a lane with a message running or settling, or whose first waiting message may not go yet
 * (its retry backoff, another channel, no room in the batch), contributes nothing further. A
 * message put back (a retry) keeps its place in arrival order.
 */
export class HeldMessages {
  /** Waiting, in arrival order (ids grow with arrival). */
  private readonly waiting: HeldMessage[] = [];
  private readonly running = new Set<HeldMessage>();
  private readonly settling = new Set<HeldMessage>();
  /** Messages running or settling per lane: the lane is busy. */
  private readonly busyLanes = new Map<string, number>();

  get size(): number {
    return this.waiting.length + this.running.size + this.settling.size;
  }

  /** Messages in a backend call or being settled. */
  get inFlight(): number {
    return this.running.size + this.settling.size;
  }

  phaseCounts(): PhaseCounts {
    return { waiting: this.waiting.length, running: this.running.size, settling: this.settling.size };
  }

  /** A new message: waiting. */
  add(held: HeldMessage): void {
    if (held.phase !== "waiting")
      throw new IllegalPhaseChange(`held message ${held.id} added while ${held.phase}`);
    this.insert(held);
  }

  /** The next batch that may start now, without taking it. */
  select(limits: BatchLimits): HeldMessage[] {
    const batch: HeldMessage[] = [];
    const blocked = new Set<string>();
    let session: ConsumerSession | undefined;
    let bytes = 0;
    // The smallest maxBatch of the messages taken so far.
    let cap = limits.maxMessages;
    for (const held of this.waiting) {
      if (batch.length >= limits.maxMessages) break;
      const lane = held.lane;
      if (lane !== undefined && (blocked.has(lane) || this.busyLanes.has(lane))) continue;
      const size = held.readyAt <= limits.now ? limits.sizeOf(held) : 0;
      const fits =
        held.readyAt <= limits.now &&
        (session === undefined || held.session === session) &&
        batch.length < Math.min(cap, held.maxBatch) &&
        (batch.length === 0 || bytes + size <= limits.maxBytes);
      if (!fits) {
        if (lane !== undefined) blocked.add(lane);
        continue;
      }
      session ??= held.session;
      cap = Math.min(cap, held.maxBatch);
      bytes += size;
      batch.push(held);
    }
    return batch;
  }

  /** The ready lane head that served as a probe longest ago: one message to test the platform with. */
  selectProbe(now: number): HeldMessage | undefined {
    let best: HeldMessage | undefined;
    const blocked = new Set<string>();
    for (const held of this.waiting) {
      const lane = held.lane;
      if (lane !== undefined && (blocked.has(lane) || this.busyLanes.has(lane))) continue;
      if (lane !== undefined) blocked.add(lane);
      if (held.readyAt > now) continue;
      if (!best || held.probedAt < best.probedAt) best = held;
    }
    return best;
  }

  /** A selected batch starts: waiting → running. */
  start(batch: readonly HeldMessage[]): void {
    for (const held of batch) held.moveTo("running");
    const taken = new Set(batch);
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (taken.has(this.waiting[i] as HeldMessage)) this.waiting.splice(i, 1);
    }
    for (const held of batch) {
      this.running.add(held);
      this.occupy(held.lane, 1);
    }
  }

  /** A running message waits again (a retry, or not delivered in its batch): running → waiting. */
  putBack(held: HeldMessage): void {
    held.moveTo("waiting");
    this.running.delete(held);
    this.occupy(held.lane, -1);
    this.insert(held);
  }

  /** Its settlement begins: waiting or running → settling. Its lane stays busy until it is done. */
  beginSettling(held: HeldMessage): void {
    const was = held.phase;
    held.moveTo("settling");
    if (was === "running") {
      this.running.delete(held);
    } else {
      const index = this.waiting.indexOf(held);
      if (index >= 0) this.waiting.splice(index, 1);
      this.occupy(held.lane, 1);
    }
    this.settling.add(held);
  }

  /** Settled: no longer held. */
  finish(held: HeldMessage): void {
    held.moveTo("done");
    this.settling.delete(held);
    this.occupy(held.lane, -1);
  }

  /** The waiting messages that match, in arrival order (they stay waiting until settled). */
  waitingWhere(match: (held: HeldMessage) => boolean = () => true): HeldMessage[] {
    return this.waiting.filter(match);
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
    for (const group of [this.waiting, this.running, this.settling]) {
      for (const held of group) {
        if (oldest === undefined || held.delivery.receivedAt < oldest) oldest = held.delivery.receivedAt;
      }
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

  private occupy(lane: string | undefined, by: 1 | -1): void {
    if (lane === undefined) return;
    const count = (this.busyLanes.get(lane) ?? 0) + by;
    if (count <= 0) this.busyLanes.delete(lane);
    else this.busyLanes.set(lane, count);
  }

  private insert(held: HeldMessage): void {
    const last = this.waiting[this.waiting.length - 1];
    if (!last || last.id < held.id) {
      this.waiting.push(held);
      return;
    }
    let low = 0;
    let high = this.waiting.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.waiting[mid] as HeldMessage).id < held.id) low = mid + 1;
      else high = mid;
    }
    this.waiting.splice(low, 0, held);
  }
}
