/** A pipeline's parts for unit tests: held messages, a scripted backend, log lines and metrics in memory. */
import { Writable } from "node:stream";
import pino from "pino";
import type { ConsumerSession } from "../../../src/amqp/consumer-session.js";
import type {
  Backend,
  CallReport,
  CallTarget,
  MessageOutcome,
  OutgoingMessage,
  SendExtras,
} from "../../../src/backends/backend.js";
import { HeldMessage } from "../../../src/held/held-message.js";
import { LogThrottle } from "../../../src/observability/log-throttle.js";
import type { Logger } from "../../../src/observability/logger.js";
import { Metrics } from "../../../src/observability/metrics.js";
import { fakeMessage } from "../amqp-fixtures.js";

/** A live session whose acks succeed and are counted. */
export function fakeSession(): ConsumerSession & { acked: number } {
  const session = {
    alive: true,
    acked: 0,
    ack() {
      session.acked += 1;
      return true;
    },
  };
  return session as unknown as ConsumerSession & { acked: number };
}

/** A held message with these headers, delivery tag `tag`. */
export function heldWith(headers: Record<string, unknown> | undefined, tag = 1): HeldMessage {
  return new HeldMessage(
    { message: fakeMessage({ headers, deliveryTag: tag }), session: fakeSession(), receivedAt: 0 },
    { round: 0, attemptsBefore: 0, roundAttempts: 0, setAside: 0, redriven: false, origin: undefined },
    undefined,
    10,
  );
}

export interface ScriptedBackend extends Backend {
  /** What each `send` was given, and the trace headers its call got (as a real backend starts it). */
  readonly sent: Array<{
    batch: readonly OutgoingMessage[];
    extras: SendExtras | undefined;
    headers: Readonly<Record<string, string>> | undefined;
  }>;
}

/** A backend that answers every message with `outcome` and reports `call`. */
export function scriptedBackend(
  outcome: MessageOutcome,
  call: Partial<CallReport> = {},
  callTarget: CallTarget = { kind: "lambda", functionName: "orders-fn" },
): ScriptedBackend {
  const sent: ScriptedBackend["sent"] = [];
  return {
    label: "orders-fn",
    batchSize: 10,
    batchWindowMs: 0,
    maxRetries: 0,
    maxBatchBytes: 1_000_000,
    sent,
    sizeOf: () => 1,
    async send(batch, extras) {
      const traced = extras?.trace?.startCall(callTarget);
      sent.push({ batch, extras, headers: traced?.headers });
      const report: CallReport = {
        outcome: "ok",
        failure: undefined,
        scope: undefined,
        reason: "",
        startedAt: 0,
        durationMs: 1,
        ...call,
      };
      traced?.end(report);
      return { results: new Map(batch.map((out) => [out.id, outcome])), call: report };
    },
    close() {},
  };
}

/** A logger whose JSON lines are kept. */
export function memoryLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level: "debug" }, stream), lines };
}

/** Fresh metrics for one agent, with the registry to read them. */
export function agentMetrics(agent = "a") {
  const registry = new Metrics();
  return { registry, metrics: registry.forAgent(agent), throttle: new LogThrottle() };
}
