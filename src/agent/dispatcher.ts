import { MAX_SYNC_PAYLOAD_BYTES } from "../lambda/invoke.js";
import type { Delivery } from "./delivery.js";

export interface DispatcherOptions {
  workers: number;
  batchSize: number;
  batchWindowMs: number;
  /** Messages held (buffered + in flight) at which consuming pauses; it resumes at half. */
  maxBacklog: number;
}

/** Rough JSON size of one message in an rmq event: base64 body plus properties. */
const ENVELOPE_BYTES = 1024;
const BATCH_BYTE_BUDGET = MAX_SYNC_PAYLOAD_BYTES - 64 * 1024;

/**
 * Groups buffered messages into batches and runs at most `workers` of them at once. A batch goes
 * when it is full, when its oldest message has waited `batchWindowMs`, when it would pass Lambda's
 * 6 MB payload limit, or when flushing. Reports back-pressure so the consumer can pause.
 */
export class Dispatcher {
  private readonly buffer: Delivery[] = [];
  private running = 0;
  private inFlightMessages = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  private pressured = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly options: DispatcherOptions,
    private readonly runBatch: (batch: Delivery[]) => Promise<void>,
    private readonly onPressure: (full: boolean) => void,
  ) {}

  /** Messages received and not yet settled. */
  get held(): number {
    return this.buffer.length + this.inFlightMessages;
  }

  /** Whether the backlog is full (consuming should stay paused). */
  get full(): boolean {
    return this.pressured;
  }

  get inFlight(): number {
    return this.inFlightMessages;
  }

  push(delivery: Delivery): void {
    this.buffer.push(delivery);
    this.checkPressure();
    this.pump();
  }

  /** From now on batches go without waiting for the window (draining). */
  flush(): void {
    this.flushing = true;
    this.pump();
  }

  /** Removes and returns the messages that have not started (to give them back on shutdown). */
  takeUnstarted(): Delivery[] {
    const taken = this.buffer.splice(0);
    this.clearTimer();
    this.checkPressure();
    this.notifyIdle();
    return taken;
  }

  /** Drops buffered messages of a dead channel: the broker redelivers them. Returns how many. */
  discardDead(): number {
    const before = this.buffer.length;
    const live = this.buffer.filter((d) => d.session.alive);
    this.buffer.splice(0, this.buffer.length, ...live);
    this.checkPressure();
    this.notifyIdle();
    return before - live.length;
  }

  /** Resolves when nothing is buffered or running, or after `timeoutMs`; true when idle. */
  async whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.held === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return result;
  }

  private pump(): void {
    const { workers, batchSize, batchWindowMs } = this.options;
    while (this.running < workers && this.buffer.length > 0) {
      const oldest = this.buffer[0] as Delivery;
      const waited = performance.now() - oldest.receivedAt;
      if (this.buffer.length < batchSize && !this.flushing && waited < batchWindowMs) {
        this.armTimer(batchWindowMs - waited);
        return;
      }
      this.start(this.takeBatch());
    }
    if (this.buffer.length === 0) this.clearTimer();
  }

  private takeBatch(): Delivery[] {
    let bytes = 0;
    let count = 0;
    const session = this.buffer[0]?.session;
    for (const delivery of this.buffer) {
      if (count >= this.options.batchSize) break;
      // Delivery tags restart on a new channel: one batch never mixes channels (auto_ack keeps
      // messages of a closed one), so a tag names one message of its batch.
      if (delivery.session !== session) break;
      const size =
        Math.ceil((delivery.message.content.byteLength * 4) / 3) + ENVELOPE_BYTES + headerBytes(delivery);
      if (count > 0 && bytes + size > BATCH_BYTE_BUDGET) break;
      bytes += size;
      count += 1;
    }
    return this.buffer.splice(0, count);
  }

  private start(batch: Delivery[]): void {
    this.running += 1;
    this.inFlightMessages += batch.length;
    const finish = () => {
      this.running -= 1;
      this.inFlightMessages -= batch.length;
      this.checkPressure();
      this.pump();
      this.notifyIdle();
    };
    this.runBatch(batch).then(finish, finish);
  }

  private checkPressure(): void {
    const held = this.held;
    if (!this.pressured && held >= this.options.maxBacklog) {
      this.pressured = true;
      this.onPressure(true);
    } else if (this.pressured && held <= Math.floor(this.options.maxBacklog / 2)) {
      this.pressured = false;
      this.onPressure(false);
    }
  }

  private armTimer(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(0, ms),
    );
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private notifyIdle(): void {
    if (this.held > 0) return;
    const waiters = this.idleWaiters.splice(0);
    for (const resolve of waiters) resolve();
  }
}

/** Header strings travel as byte arrays (`{"bytes":[104,105]}`): up to 4 characters per byte. */
function headerBytes(delivery: Delivery): number {
  const headers = delivery.message.properties.headers;
  if (!headers) return 0;
  let bytes = 0;
  for (const key in headers) bytes += 4 * (key.length + String(headers[key]).length) + 16;
  return bytes;
}
