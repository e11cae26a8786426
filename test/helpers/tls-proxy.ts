import { connect, type Socket } from "node:net";
import { createServer, type TLSSocket } from "node:tls";

/** A TLS-terminating proxy on 127.0.0.1 in front of a plain TCP service (the local broker). */
export interface TlsProxy {
  readonly port: number;
  /** Client connections whose TLS handshake completed (each one opens a connection to the target). */
  readonly secured: number;
  /** Bytes forwarded from TLS clients to the target after the handshake. */
  readonly bytesToTarget: number;
  /** Messages of the errors raised by failed TLS handshakes (`tlsClientError`). */
  readonly handshakeErrors: readonly string[];
  close(): Promise<void>;
}

export interface TlsProxyOptions {
  cert: Buffer;
  key: Buffer;
  target: { host: string; port: number };
}

/** Starts the proxy on a free port of 127.0.0.1. */
export async function startTlsProxy(options: TlsProxyOptions): Promise<TlsProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const state = { secured: 0, bytesToTarget: 0, handshakeErrors: [] as string[] };
  const server = createServer({ cert: options.cert, key: options.key }, (client: TLSSocket) => {
    state.secured += 1;
    track(client);
    const upstream = connect(options.target.port, options.target.host);
    track(upstream);
    client.on("data", (chunk: Buffer) => {
      state.bytesToTarget += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  server.on("connection", track);
  server.on("tlsClientError", (error: Error) => state.handshakeErrors.push(error.message));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("TLS proxy has no port");
  return {
    port: address.port,
    get secured() {
      return state.secured;
    },
    get bytesToTarget() {
      return state.bytesToTarget;
    },
    get handshakeErrors() {
      return state.handshakeErrors;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
