import type { ConsumeMessage } from "amqplib";
import type { ConsumerSession } from "../amqp/consumer-session.js";
import type { Origin, OutgoingMessage } from "../backends/backend.js";
import type { ReplyPublish } from "../copies/reply-message.js";
import type { RetryState } from "../copies/retry-route.js";
import type { InvocationTrace } from "../tracing/index.js";

/** A message in the agent's hands, with the session whose channel must settle it. */
export interface Delivery {
  message: ConsumeMessage;
  session: ConsumerSession;
  /** `performance.now()` when it arrived. */
  receivedAt: number;
}

/**
 * Where a held message is: `waiting` (for its turn, a backoff, or a batch to fill), `running` (in a
 * backend call), `settling` (its ack, copy or give-back under way), `done` (no longer held).
 */
export const PHASES = ["waiting", "running", "settling", "done"] as const;
export type Phase = (typeof PHASES)[number];

const NEXT: Record<Phase, readonly Phase[]> = {
  waiting: ["running", "settling"],
  running: ["waiting", "settling"],
  settling: ["done"],
  done: [],
};

export class IllegalPhaseChange extends Error {
  override readonly name = "IllegalPhaseChange";
}

let nextId = 0;

/** A delivery the agent holds until it is settled, with what scheduling needs to know of it. */
export class HeldMessage implements OutgoingMessage {
  /** Unique within the process (the breaker tells messages apart by it). */
  readonly id = ++nextId;
  /** Where the message was first published (undoing a trip through a retry queue). */
  readonly origin: Origin;
  /** Attempts charged in this round (its own failures only; a set-aside copy brings its own). */
  attempts: number;
  /** Platform failures seen by it (not charged; they only lengthen its backoff). */
  setbacks = 0;
  /** `performance.now()` before which it must not run again (retry backoff). */
  readyAt = 0;
  /** When it last served as a circuit-breaker probe (probes rotate over held messages). */
  probedAt = Number.NEGATIVE_INFINITY;
  /** Probes it failed while held (a lane's head is probed again; others are set aside). */
  probeFailures = 0;
  /** With several backends: those that want it (undefined: all), and those it succeeded on. */
  backendsWanted: ReadonlySet<number> | undefined;
  readonly backendsDone = new Set<number>();
  /** Its last invocation's trace, and its index there: the trace its copies and log lines are in. */
  trace: InvocationTrace | undefined;
  traceIndex = 0;
  /** Its reply, once it succeeded (kept until the broker confirms it), and the publishes that failed. */
  reply: ReplyPublish | undefined;
  replyFailures = 0;
  private current: Phase = "waiting";

  constructor(
    readonly delivery: Delivery,
    readonly retry: RetryState,
    /** Ordering lane (`consumer.order_key`); `undefined` without ordering. */
    readonly lane: string | undefined,
    /** Largest batch it may join (halved after the backend refused a batch as too large). */
    public maxBatch: number,
  ) {
    const { fields } = delivery.message;
    this.origin = retry.origin ?? { exchange: fields.exchange, routingKey: fields.routingKey };
    this.attempts = retry.roundAttempts;
  }

  /**
   * Whether its next outcome is fresh evidence about the platform: its first attempt here
   * (redeliveries included), not an in-process retry, a retry queue's return, a set-aside or a
   * redriven copy.
   */
  get fresh(): boolean {
    const { retry } = this;
    return this.attempts === 0 && retry.round === 0 && retry.setAside === 0 && !retry.redriven;
  }

  /** Whether it failed a circuit-breaker probe before (here, or before it was set aside). */
  get failedAProbe(): boolean {
    return this.probeFailures > 0 || this.retry.setAside > 0;
  }

  get message(): ConsumeMessage {
    return this.delivery.message;
  }

  get session(): ConsumerSession {
    return this.delivery.session;
  }

  get phase(): Phase {
    return this.current;
  }

  /** The only way a phase changes; a change the lifecycle does not allow throws. */
  moveTo(next: Phase): void {
    if (!NEXT[this.current].includes(next)) {
      throw new IllegalPhaseChange(`held message ${this.id}: ${this.current} → ${next} is not allowed`);
    }
    this.current = next;
  }
}
