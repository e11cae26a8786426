import type { DesiredConsumer } from "../amqp/consumer-session.js";
import type { AgentConfig } from "../config/types.js";
import type { AgentState } from "../observability/agent-status.js";

/**
 * Whether the consumer should run: the one place that decides it. It stops for good when the agent
 * drains; it pauses with `auto_ack` while the agent holds `max_backlog` messages (until half of
 * that), and after a long circuit-breaker opening handed the held messages back, until a probe
 * needs a message.
 */
export class ConsumerDemand {
  private backlogFull = false;
  private released = false;
  private probeNeedsMessage = false;

  constructor(private readonly amqp: AgentConfig["amqp"]) {}

  desired(state: AgentState): DesiredConsumer {
    if (state === "draining" || state === "closed") return "stopped";
    if (this.released && !this.probeNeedsMessage) return "paused";
    if (this.backlogFull) return "paused";
    return "consuming";
  }

  /** The agent holds `held` messages now; true when that changes what is desired. */
  heldChanged(held: number): boolean {
    // Prefetch bounds a manual-ack consumer; the broker ignores it in no-ack mode.
    if (!this.amqp.autoAck) return false;
    if (!this.backlogFull && held >= this.amqp.maxBacklog) this.backlogFull = true;
    else if (this.backlogFull && held <= Math.floor(this.amqp.maxBacklog / 2)) this.backlogFull = false;
    else return false;
    return true;
  }

  /** Held messages were handed back during a long breaker opening: consuming pauses. */
  heldReleased(): void {
    this.released = true;
  }

  /** A probe is due and nothing is held to probe with: consuming resumes for it. */
  probeStarved(): void {
    this.probeNeedsMessage = true;
  }

  /** Consuming resumed for a probe: the next release may pause it again. */
  resumedForProbe(): void {
    this.probeNeedsMessage = false;
  }

  breakerClosed(): void {
    this.released = false;
    this.probeNeedsMessage = false;
  }
}
