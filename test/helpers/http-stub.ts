import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, Checksum, SourceData } from "@smithy/types";
import { listenTracked, refusedUrl } from "./listening-server.js";

/** How the stub answers one request: a response, or a server that misbehaves. */
export type StubReply =
  | { status: number; headers?: Record<string, string>; body?: string | Buffer }
  /** Never answers (the client's timeout must end the request). */
  | { hang: true }
  /** Resets the connection without answering. */
  | { reset: true };

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Names as sent, values as received: [name, value, name, value, ...]. */
  rawHeaders: string[];
  body: Buffer;
  /** With `sigv4`: whether the request's signature is the one the test credentials give. */
  signature?: "valid" | "invalid";
}

export interface SigV4Check {
  credentials: AwsCredentialIdentity;
  region: string;
  service: string;
}

export interface HttpStubOptions {
  /** The answer to requests no `next()` reply was queued for: 200 with an empty body unless said. */
  reply?: (request: RecordedRequest, index: number) => StubReply;
  /** Serve HTTPS with this key and certificate. */
  tls?: { key: Buffer; cert: Buffer };
  /** Check every request's SigV4 signature; an invalid one is answered 403 (before any scripted reply). */
  sigv4?: SigV4Check;
}

export interface HttpStub {
  /** `http://127.0.0.1:<port>` (or https). */
  url: string;
  requests: RecordedRequest[];
  /** Queues the answers to the next requests, in order. */
  next(...replies: StubReply[]): void;
  /** Resolves when `count` requests have arrived (counting those already in). */
  received(count: number): Promise<void>;
  /** Connections the clients hold open. */
  openConnections(): number;
  close(): Promise<void>;
}

/**
 * A local HTTP(S) server on 127.0.0.1, port 0, that records every request (method, path, headers,
 * body) and answers with a scripted reply per request. With `sigv4`, it recomputes each request's
 * signature with the same test credentials through `@smithy/signature-v4`.
 */
export async function startHttpStub(options: HttpStubOptions = {}): Promise<HttpStub> {
  const requests: RecordedRequest[] = [];
  const queued: StubReply[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const handler = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
      };
      if (options.sigv4)
        recorded.signature = (await verifySigV4(recorded, options.sigv4)) ? "valid" : "invalid";
      const index = requests.push(recorded) - 1;
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      const answer: StubReply =
        recorded.signature === "invalid"
          ? { status: 403, body: '{"message":"The request signature we calculated does not match"}' }
          : (queued.shift() ?? options.reply?.(recorded, index) ?? { status: 200 });
      if ("hang" in answer) return;
      if ("reset" in answer) {
        req.socket.resetAndDestroy();
        return;
      }
      const body = Buffer.from(answer.body ?? "");
      res.writeHead(answer.status, { "content-length": body.byteLength, ...answer.headers });
      res.end(body);
    });
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
  const listening = await listenTracked(server, { tls: Boolean(options.tls) });
  return {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${listening.port}`,
    requests,
    next: (...replies) => void queued.push(...replies),
    received(count) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    openConnections: listening.openConnections,
    close: listening.close,
  };
}

export { refusedUrl };

/** SHA-256 and HMAC-SHA-256 on node:crypto, for the verifying signer (independent of the agent's). */
class TestSha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    if (secret === undefined) this.hash = createHash("sha256");
    else
      this.hash = createHmac(
        "sha256",
        typeof secret === "string" ? secret : Buffer.from(secret as Uint8Array),
      );
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

/**
 * Whether a received request carries the SigV4 signature that `check`'s credentials give: the body's
 * hash matches `x-amz-content-sha256`, and signing again the method, path, query and every header
 * named in `SignedHeaders`, at `x-amz-date`, gives the same `Authorization`.
 */
export async function verifySigV4(request: RecordedRequest, check: SigV4Check): Promise<boolean> {
  const authorization = request.headers.authorization ?? "";
  const signedNames = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(";");
  const amzDate = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(
    String(request.headers["x-amz-date"]),
  );
  if (!signedNames || !amzDate) return false;
  const bodyHash = createHash("sha256").update(request.body).digest("hex");
  if (request.headers["x-amz-content-sha256"] !== bodyHash) return false;
  const [, y, mo, d, h, mi, s] = amzDate.map(Number) as number[];
  const signingDate = new Date(Date.UTC(y as number, (mo as number) - 1, d, h, mi, s));
  const headers: Record<string, string> = {};
  for (const name of signedNames) {
    const value = request.headers[name];
    if (value === undefined) return false;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const [path = "", search = ""] = request.url.split("?", 2) as [string, string?];
  // Repeated names as lists, a name without "=" as null: how the signer takes a query.
  const query: Record<string, string | string[] | null> = {};
  for (const part of search.split("&").filter(Boolean)) {
    const [name = "", value] = part.split("=", 2).map(decodeURIComponent);
    const previous = query[name];
    if (previous === undefined) query[name] = value ?? null;
    else query[name] = [...(Array.isArray(previous) ? previous : [previous ?? ""]), value ?? ""];
  }
  const signer = new SignatureV4({ ...check, sha256: TestSha256, uriEscapePath: true });
  const signed = await signer.sign(
    { method: request.method, protocol: "http:", hostname: "127.0.0.1", path, query, headers },
    { signingDate, signingRegion: check.region, signingService: check.service },
  );
  return signed.headers.authorization === authorization;
}
