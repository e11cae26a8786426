import assert from "node:assert/strict";
import type { CallReport, MessageOutcome, OutgoingMessage } from "../../../../src/backends/backend.js";
import {
  createHttpBackend,
  type HttpBackend,
  type HttpBackendDeps,
} from "../../../../src/backends/http/index.js";
import { resolveHttpBackend } from "../../../../src/config/resolve-http-backend.js";
import { type FakeMessage, fakeMessage } from "../../amqp-fixtures.js";

export const AT = "async_agent[0].backend[0]";

/** A backend built the way the loader will build it: a KrakenD entry through resolveHttpBackend. */
export function httpBackend(
  entry: Record<string, unknown>,
  deps: Partial<HttpBackendDeps> = {},
  consumerTimeoutMs = 5_000,
): HttpBackend {
  const { config } = resolveHttpBackend({ url_pattern: "/orders", method: "POST", ...entry }, AT, {
    rootHosts: [],
    consumerTimeoutMs,
  });
  return createHttpBackend(config, { workers: 2, env: {}, ...deps });
}

let nextId = 1;

export function outgoing(options: FakeMessage = {}): OutgoingMessage {
  const message = fakeMessage(options);
  return {
    id: nextId++,
    message,
    origin: { exchange: message.fields.exchange, routingKey: message.fields.routingKey },
  };
}

/** Sends one message; its outcome and the call's report. */
export async function sendOne(
  backend: HttpBackend,
  options: FakeMessage = {},
): Promise<{ outcome: MessageOutcome; call: CallReport }> {
  const message = outgoing(options);
  const report = await backend.send([message]);
  const outcome = report.results.get(message.id);
  assert.ok(outcome, "no outcome for the message");
  assert.ok(report.call, "no call report");
  return { outcome, call: report.call };
}

/** The failure of an outcome that must have failed. */
export function failureOf(outcome: MessageOutcome) {
  assert.equal(outcome.kind, "failed", `expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome as Extract<MessageOutcome, { kind: "failed" }>;
}

/** A backend for the time `use` takes; closed after it, whatever happens. */
export async function withBackend<T>(
  entry: Record<string, unknown>,
  use: (backend: HttpBackend) => Promise<T>,
  deps: Partial<HttpBackendDeps> = {},
): Promise<T> {
  const backend = httpBackend(entry, deps);
  try {
    return await use(backend);
  } finally {
    backend.close();
  }
}

/** One message through a backend made for it. */
export function sendOnce(
  entry: Record<string, unknown>,
  options: FakeMessage = {},
  deps: Partial<HttpBackendDeps> = {},
): Promise<{ outcome: MessageOutcome; call: CallReport }> {
  return withBackend(entry, (backend) => sendOne(backend, options), deps);
}
