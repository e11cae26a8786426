import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ListeningServer {
  port: number;
  openConnections(): number;
  close(): Promise<void>;
}

/**
 * Starts `server` on a free port of 127.0.0.1 with keep-alive connections held for a minute, counting
 * the open ones (TLS servers count secure connections); `close` ends them all.
 */
export async function listenTracked(
  server: Server,
  options: { tls?: boolean } = {},
): Promise<ListeningServer> {
  const connections = new Set<Socket>();
  server.on(options.tls ? "secureConnection" : "connection", (socket: Socket) => {
    connections.add(socket);
    socket.once("close", () => connections.delete(socket));
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    openConnections: () => connections.size,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** An `http://127.0.0.1:<port>` where nothing listens: connecting is refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return `http://127.0.0.1:${port}`;
}
