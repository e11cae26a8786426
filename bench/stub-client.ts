import type { ChildProcess } from "node:child_process";
import type { StubCount, StubReply, StubRequest, StubStats } from "./protocol.js";

type Pending = (reply: StubReply) => void;

/** The orchestrator's handle on the Lambda stub child process (request/reply over IPC). */
export class StubClient {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly child: ChildProcess,
    readonly endpoint: string,
  ) {
    child.on("message", (reply: StubReply) => {
      const resolve = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      resolve?.(reply);
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  async reset(): Promise<void> {
    await this.ask("reset");
  }

  async count(): Promise<StubCount> {
    return (await this.ask("count")) as StubCount;
  }

  async stats(): Promise<StubStats> {
    return (await this.ask("stats")) as StubStats;
  }

  /**
   * Polls until the stub has seen `messages` messages; throws when no message arrives for
   * `stallMs` (a broker restart loses the bench's non-durable queues) or when `alive()` fails.
   */
  async waitFor(messages: number, stallMs: number, alive: () => string | undefined): Promise<StubCount> {
    let seen = -1;
    let progressAt = performance.now();
    for (;;) {
      const count = await this.count();
      if (count.messages >= messages) return count;
      const dead = alive();
      if (dead) throw new Error(`${dead} (stub saw ${count.messages}/${messages} messages)`);
      if (count.messages !== seen) {
        seen = count.messages;
        progressAt = performance.now();
      } else if (performance.now() - progressAt > stallMs) {
        throw new Error(
          `stalled: the stub saw ${count.messages}/${messages} messages, none for ${stallMs} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private ask(type: StubRequest["type"]): Promise<StubReply> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ id, type } satisfies StubRequest);
    });
  }
}
