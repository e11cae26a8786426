import { createServer, type Server } from "node:http";
import type { AgentStatus } from "../agent/agent.js";
import type { Metrics } from "./metrics.js";
import type { SecretScrubber } from "./redact.js";

export interface HealthSource {
  statuses(): AgentStatus[];
}

/**
 * `/healthz` (the process is alive), `/readyz` (every agent connected and consuming, else 503 with
 * the reasons) and `/metrics` (Prometheus text).
 */
export async function startHealthServer(
  host: string,
  port: number,
  source: HealthSource,
  metrics: Metrics,
  scrubber: SecretScrubber,
): Promise<Server> {
  const server = createServer((request, response) => {
    const send = (status: number, body: string, type = "application/json") => {
      response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      response.end(scrubber.scrub(body));
    };
    const path = (request.url ?? "/").split("?")[0];
    if (path === "/healthz") return send(200, JSON.stringify({ status: "ok" }));
    if (path === "/readyz") {
      const agents = source.statuses().map((s) => ({
        name: s.name,
        state: s.state,
        consuming: s.consuming,
        ready: s.state === "ready" && s.consuming,
        reason: s.state === "ready" && !s.consuming ? "consumer paused (backlog full)" : s.reason,
      }));
      const ready = agents.length > 0 && agents.every((a) => a.ready);
      return send(ready ? 200 : 503, JSON.stringify({ status: ready ? "ready" : "not ready", agents }));
    }
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
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      // A later server error (a broken client socket) must not end the process.
      server.on("error", () => undefined);
      resolve();
    });
  });
  return server;
}
