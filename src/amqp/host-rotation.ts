import type { BackoffStrategy } from "../config/types.js";
import { reconnectDelayMs } from "../shared/backoff.js";

/** What to do after an attempt: try the next node now, wait, or give up. */
export type NextStep =
  | { action: "next" }
  | { action: "wait"; delayMs: number; round: number }
  | { action: "give_up"; rounds: number };

/**
 * Which node to try next, and when (pure). Nodes are tried in the order given, each once per round,
 * starting after the node that was last tried; a lost connection starts a new round at once (on the
 * next node); only a round in which every node failed waits `backoff_strategy`'s delay. `maxRetries`
 * counts rounds after the first (`Infinity`: forever).
 */
export class HostRotation {
  private pointer = 0;
  private triedInRound = 0;
  private failedRounds = 0;

  constructor(
    private readonly nodes: number,
    private readonly maxRetries: number,
    private readonly strategy: BackoffStrategy,
    private readonly random: () => number = Math.random,
  ) {}

  /** The node to try now. */
  next(): number {
    const index = this.pointer;
    this.pointer = (index + 1) % this.nodes;
    this.triedInRound += 1;
    return index;
  }

  /** The attempt failed (no connection, or the topology could not be set up). */
  attemptFailed(): NextStep {
    if (this.triedInRound < this.nodes) return { action: "next" };
    if (this.failedRounds >= this.maxRetries) return { action: "give_up", rounds: this.failedRounds + 1 };
    const delayMs = reconnectDelayMs(this.strategy, this.failedRounds, this.random);
    this.failedRounds += 1;
    this.triedInRound = 0;
    return { action: "wait", delayMs, round: this.failedRounds };
  }

  /**
   * A connection ended. One that lasted starts a fresh round on the next node at once; one that
   * dropped at once counts as a failed attempt (a node that accepts and closes must not spin).
   */
  connectionEnded(lasted: boolean): NextStep {
    if (!lasted) return this.attemptFailed();
    this.failedRounds = 0;
    this.triedInRound = 0;
    return { action: "next" };
  }
}
