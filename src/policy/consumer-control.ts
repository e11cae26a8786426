import type { DesiredConsumer } from "../amqp/consumer-session.js";

/**
 * Why the consumer is held back, as one value:
 * - `draining`: the agent stops; the consumer is cancelled for good;
 * - `backlog`: with `auto_ack` the agent holds `max_backlog` messages (until half of that): cancelled;
 * - `handed_back`: held messages went back before `consumer_timeout` during a long circuit-breaker
 *   opening: cancelled until a probe needs a message (`probe_wanted`) or the breaker closes;
 * - `probe_wanted`: consuming again, for one message to probe with;
 * - `none`.
 * `breaker_open` and `publisher_blocked` are reported (`/readyz`, the summary) but never cancel the
 * consumer: prefetch holds the line, and a cancel would delete an auto-delete queue.
 */
export type ConsumerHold = "none" | "draining" | "backlog" | "handed_back" | "probe_wanted";
export type ConsumerReason = ConsumerHold | "breaker_open" | "publisher_blocked";

export interface ConsumerControlOptions {
  autoAck: boolean;
  maxBacklog: number;
  /** Tells the consumer session what is wanted now. */
  apply(desired: DesiredConsumer): void;
}

/** The one owner of "why the consumer is paused or held". */
export class ConsumerControl {
  private hold: ConsumerHold = "none";

  constructor(private readonly options: ConsumerControlOptions) {}

  get current(): ConsumerHold {
    return this.hold;
  }

  get desired(): DesiredConsumer {
    switch (this.hold) {
      case "draining":
        return "stopped";
      case "backlog":
      case "handed_back":
        return "paused";
      default:
        return "consuming";
    }
  }

  /** The reason to show: the hold, else what is wrong without cancelling anything. */
  reason(breakerOpen: boolean, publisherBlocked: boolean): ConsumerReason {
    if (this.hold !== "none" && this.hold !== "probe_wanted") return this.hold;
    if (publisherBlocked) return "publisher_blocked";
    if (breakerOpen) return "breaker_open";
    return this.hold;
  }

  /** The agent holds `held` messages now (prefetch bounds a manual-ack consumer; not a no-ack one). */
  heldChanged(held: number): void {
    const { autoAck, maxBacklog } = this.options;
    if (!autoAck) return;
    if (this.hold === "none" && held >= maxBacklog) this.set("backlog");
    else if (this.hold === "backlog" && held <= Math.floor(maxBacklog / 2)) this.set("none");
  }

  /** Held messages were handed back during a long breaker opening: consuming pauses. */
  handedBack(): void {
    if (this.hold === "none" || this.hold === "probe_wanted") this.set("handed_back");
  }

  /** A probe is due and nothing is held to probe with: consuming resumes for it. */
  probeStarved(): void {
    if (this.hold === "handed_back") this.set("probe_wanted");
    else this.reapply();
  }

  breakerClosed(): void {
    if (this.hold === "handed_back" || this.hold === "probe_wanted") this.set("none");
  }

  draining(): void {
    this.set("draining");
  }

  /** Tells the session again (a new session after a reconnect). */
  reapply(): void {
    this.options.apply(this.desired);
  }

  private set(hold: ConsumerHold): void {
    if (this.hold === "draining") return;
    this.hold = hold;
    this.options.apply(this.desired);
  }
}
