/** Messages between the orchestrator (bench/run.ts) and the Lambda stub child process. */

export type StubRequest =
  | { id: number; type: "reset" }
  | { id: number; type: "count" }
  | { id: number; type: "stats" };

export interface StubCount {
  /** Messages seen (a batch invocation counts each of its messages). */
  messages: number;
  invocations: number;
  /** Epoch milliseconds (fractional) of the first and last invocation start, 0 when none. */
  firstAt: number;
  lastAt: number;
}

export interface StubStats extends StubCount {
  /** Arrival time of every invocation, epoch ms. */
  arrivals: number[];
  /** Messages carried by each invocation, same order as `arrivals`. */
  sizes: number[];
  /** Invocation start minus publish timestamp, per message, ms. */
  latencies: number[];
  /** Per keep-alive connection: response finished → next request on it arrives, ms (client turnaround). */
  gaps: number[];
  /** Per invocation: request arrived → response finished at the stub, ms (the function's real latency). */
  holds: number[];
}

export type StubReply =
  | { id: number; type: "reset" }
  | ({ id: number; type: "count" } & StubCount)
  | ({ id: number; type: "stats" } & StubStats);

/** Sent once by the stub when it listens. */
export interface StubReady {
  type: "ready";
  port: number;
}

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
