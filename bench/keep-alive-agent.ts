import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { CONNECT_TIMEOUT_MS } from "../src/backends/lambda/invoke/transport.js";

export class ConnectTimeoutError extends Error {
  override readonly name = "ConnectTimeoutError";
  constructor(timeoutMs: number) {
    super(`no connection to the Lambda endpoint within ${timeoutMs} ms`);
  }
}

/**
 * A keep-alive agent with `sockets` connections (Nagle off), whose new connections fail with a
 * `ConnectTimeoutError` when not established within `connectTimeoutMs`. The timer is set per new
 * connection, not per request.
 */
export function createKeepAliveAgent(
  protocol: "http:" | "https:",
  sockets: number,
  connectTimeoutMs = CONNECT_TIMEOUT_MS,
): HttpAgent {
  const options = { keepAlive: true, maxSockets: sockets, noDelay: true };
  const agent = protocol === "https:" ? new HttpsAgent(options) : new HttpAgent(options);
  const createConnection = agent.createConnection.bind(agent);
  agent.createConnection = ((connectOptions, callback) => {
    const socket = createConnection(connectOptions, callback);
    if (!socket) return socket;
    const timer = setTimeout(
      () => socket.destroy(new ConnectTimeoutError(connectTimeoutMs)),
      connectTimeoutMs,
    );
    socket.once("connect", () => clearTimeout(timer));
    socket.once("close", () => clearTimeout(timer));
    return socket;
  }) as typeof agent.createConnection;
  return agent;
}
