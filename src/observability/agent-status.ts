/** The lifecycle states of an agent: idle → connecting ⇄ ready → draining → closed. */
export const AGENT_STATES = ["idle", "connecting", "ready", "draining", "closed"] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/** What an agent shows to health checks, metrics, the summary line and EMF. */
export interface AgentStatus {
  name: string;
  state: AgentState;
  /** The consumer's state on the live channel (`paused` under back-pressure or a long breaker opening). */
  consumer: string;
  /**
   * Why the consumer is held back (`draining`, `backlog`, `handed_back`: cancelled; `breaker_open`,
   * `publisher_blocked`: shown only), or `none` / `probe_wanted`.
   */
  hold: string;
  /** Why the agent is not ready, when it is not. */
  reason: string | undefined;
  inFlight: number;
  held: number;
  /** The publishing connection (dead letters, retries): `blocked` during a resource alarm. */
  publisher: string;
  /** Held messages by phase. */
  phases: { waiting: number; running: number; settling: number };
  /** Settling messages whose reply waits for a publish or its confirm; only with `reply`. */
  heldReplies?: number;
  backlog: number | undefined;
  circuit: "closed" | "open" | "half_open";
  /** The node connected to (`host:port`), and whether it is the first of the list. */
  node: string | undefined;
  onFirstNode: boolean;
  /** Since when (epoch ms) the agent has been unable to connect or consume; `undefined` while it is. */
  notConsumingSince: number | undefined;
  concurrencyLimit: number;
  /** `consumer.workers`: the most invocations at once. */
  workers: number;
  /** Whether messages are ordered by key (`consumer.order_key`). */
  ordered: boolean;
  queue: string;
}

/** An agent as observability sees it: its name and its status, nothing it could change. */
export interface ObservedAgent {
  readonly name: string;
  status(): AgentStatus;
  /** Order-key lanes waiting and the oldest wait. */
  waits(): { lanes: number; oldestWaitMs: number };
}
