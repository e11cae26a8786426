import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { listenTracked, refusedUrl } from "../../../../helpers/listening-server.js";

/** How the stub answers a call: a response as Lambda writes it, or a misbehaving server. */
export type StubReply =
  | { status: number; headers?: Record<string, string>; body?: string }
  | { hang: true }
  | { reset: true };

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface LambdaWireStub {
  endpoint: string;
  requests: RecordedRequest[];
  /** Connections the clients still hold open (the stub never closes an idle one itself). */
  openConnections(): number;
  close(): Promise<void>;
}

/**
 * A local Invoke API on 127.0.0.1 that answers each call with `reply(request)`. It sends no `Date`
 * header (clock-skew correction stays out of signature tests), keeps idle connections open for a
 * minute, and closes every socket on close().
 */
export async function startLambdaWireStub(
  reply: (request: RecordedRequest) => StubReply,
): Promise<LambdaWireStub> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(recorded);
      const answer = reply(recorded);
      if ("hang" in answer) return;
      if ("reset" in answer) {
        req.socket.resetAndDestroy();
        return;
      }
      res.sendDate = false;
      const body = Buffer.from(answer.body ?? "");
      res.writeHead(answer.status, {
        "content-type": "application/json",
        "content-length": body.byteLength,
        "x-amzn-requestid": "4b2d6a1e-0000-4000-8000-000000000000",
        ...answer.headers,
      });
      res.end(body);
    });
  });
  const listening = await listenTracked(server);
  return {
    endpoint: `http://127.0.0.1:${listening.port}`,
    requests,
    openConnections: listening.openConnections,
    close: listening.close,
  };
}

/** An endpoint on 127.0.0.1 where nothing listens: connecting is refused. */
export const refusedEndpoint = refusedUrl;
