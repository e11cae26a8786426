import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AgentError } from "../errors.js";
import type { AgentStatus } from "./agent-status.js";
import type { Metrics } from "./metrics.js";
import type { SecretScrubber } from "./redact.js";

export interface HealthSource {
  statuses(): AgentStatus[];
  /** /healthz turns 503 when an agent could not connect or consume for longer than this. */
  unhealthyAfterMs: number;
}

/**
 * `/healthz` (liveness: 503 when an agent has been unable to connect or consume for longer than
 * `unhealthy_after`; an open circuit breaker is not unhealthy, a restart would not help), `/readyz`
 * (every agent connected, consuming and its circuit closed, else 503 with the reasons; busy is
 * ready) and `/metrics` (Prometheus text). Port 0 picks a free port.
 */
export async function startHealthServer(
  host: string,
  port: number,
  source: HealthSource,
  metrics: Metrics,
  scrubber: SecretScrubber,
): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const send = (status: number, body: string, type = "application/json") => {
      response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      response.end(scrubber.scrub(body));
    };
    const path = (request.url ?? "/").split("?")[0];
    if (path === "/healthz") return sendHealth(source, send);
    if (path === "/readyz") return sendReadiness(source, send);
    if (path === "/metrics") {
      metrics.registry.metrics().then(
        (text) => send(200, text, metrics.registry.contentType),
        (error: Error) => send(500, JSON.stringify({ error: error.message })),
      );
      return;
    }
    send(404, JSON.stringify({ error: "not found", endpoints: ["/healthz", "/readyz", "/metrics"] }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(listenError(error, host, port)));
    server.listen(port, host, () => {
      server.removeAllListeners("error");
      // A later server error (a broken client socket) must not end the process.
      server.on("error", () => undefined);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

type Send = (status: number, body: string) => void;

function sendHealth(source: HealthSource, send: Send): void {
  const now = Date.now();
  const agents = source.statuses().map((s) => {
    const stuckMs = s.notConsumingSince === undefined ? 0 : now - s.notConsumingSince;
    const healthy = s.state === "draining" || stuckMs <= source.unhealthyAfterMs;
    return {
      name: s.name,
      state: s.state,
      healthy,
      ...(healthy
        ? {}
        : { reason: `unable to connect or consume for ${Math.round(stuckMs / 1000)}s: ${s.reason ?? ""}` }),
    };
  });
  const healthy = agents.every((a) => a.healthy);
  send(healthy ? 200 : 503, JSON.stringify({ status: healthy ? "ok" : "unhealthy", agents }));
}

function sendReadiness(source: HealthSource, send: Send): void {
  const agents = source.statuses().map((s) => {
    const ready = s.state === "ready" && s.circuit === "closed" && s.reason === undefined;
    return {
      name: s.name,
      state: s.state,
      ready,
      node: s.node ?? null,
      consumer: s.consumer,
      circuit: s.circuit,
      held: s.held,
      phases: s.phases,
      ...(s.heldReplies === undefined ? {} : { heldReplies: s.heldReplies }),
      hold: s.hold,
      publisher: s.publisher,
      ...(ready ? {} : { reason: s.reason ?? s.state }),
    };
  });
  const ready = agents.length > 0 && agents.every((a) => a.ready);
  send(ready ? 200 : 503, JSON.stringify({ status: ready ? "ready" : "not ready", agents }));
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code !== "EADDRINUSE") return error;
  return new AgentError(
    "HTTP_ADDRESS_IN_USE",
    `cannot serve /healthz, /readyz and /metrics on ${host}:${port}: the address is in use (another agent on this host?); pass run --http-address HOST:PORT or set AMQP_LAMBDA_AGENT_HTTP_ADDRESS (port 0 picks a free port)`,
    { cause: error },
  );
}
