/**
 * A minimal Lambda Invoke API: `POST /2015-03-31/functions/{name}/invocations` answers 200 with a
 * small JSON body after the latency the function name encodes (`sleep-50` waits 50 ms). It counts
 * messages (one per request, or one per message of an `aws:rmq` batch event) and records the
 * publish → invoke-start latency of each; it also acknowledges OTLP trace exports (`POST /v1/traces`).
 * Runs as a child process; the orchestrator talks over IPC.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { epochMs, type StubReady, type StubReply, type StubRequest } from "./protocol.js";

const port = Number(process.argv[2] ?? 3990);
const RESPONSE = Buffer.from(JSON.stringify({ statusCode: 200, body: "ok" }));
const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations/;
/** Publish timestamp of each message of an rmq event (its messageId is `b:<epoch ms>`). */
const RMQ_TIMESTAMP = /"messageId":"b:([0-9.]+)"/g;
/** Publish timestamp of a raw message body (`{"ts":<epoch ms>,...}`). */
const BODY_TIMESTAMP = /^\{"ts":([0-9.]+)/;

let arrivals: number[] = [];
let sizes: number[] = [];
let latencies: number[] = [];
let gaps: number[] = [];
let holds: number[] = [];
let messages = 0;
/** When each keep-alive connection last finished a response. */
const lastResponseAt = new WeakMap<object, number>();

function latencyOf(functionName: string): number {
  const match = /sleep-(\d+)/.exec(decodeURIComponent(functionName));
  return match ? Number(match[1]) : 0;
}

function record(arrivedAt: number, body: string): void {
  let count = 0;
  for (const match of body.matchAll(RMQ_TIMESTAMP)) {
    latencies.push(arrivedAt - Number(match[1]));
    count += 1;
  }
  if (count === 0) {
    const match = BODY_TIMESTAMP.exec(body);
    if (match) latencies.push(arrivedAt - Number(match[1]));
    count = 1;
  }
  arrivals.push(arrivedAt);
  sizes.push(count);
  messages += count;
}

function respond(res: ServerResponse, status: number, body: Buffer, arrivedAt?: number): void {
  const socket = res.socket;
  if (socket)
    res.once("finish", () => {
      const at = epochMs();
      lastResponseAt.set(socket, at);
      if (arrivedAt !== undefined) holds.push(at - arrivedAt);
    });
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": body.byteLength,
    "x-amz-executed-version": "$LATEST",
    "x-amzn-requestid": "00000000-0000-0000-0000-000000000000",
  });
  res.end(body);
}

/** An OTLP/HTTP trace export (the tracing scenario): read and acknowledged, not decoded. */
function acceptSpans(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "application/x-protobuf" }).end());
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === "/v1/traces") {
    acceptSpans(req, res);
    return;
  }
  const arrivedAt = epochMs();
  const previous = lastResponseAt.get(req.socket);
  if (previous !== undefined) gaps.push(arrivedAt - previous);
  const match = req.method === "POST" ? PATH.exec(req.url ?? "") : null;
  if (!match) {
    req.resume();
    respond(res, 404, Buffer.from('{"Type":"User","Message":"not found"}'));
    return;
  }
  const waitMs = latencyOf(match[1] as string);
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    record(arrivedAt, Buffer.concat(chunks).toString("latin1"));
    if (waitMs > 0) setTimeout(() => respond(res, 200, RESPONSE, arrivedAt), waitMs);
    else respond(res, 200, RESPONSE, arrivedAt);
  });
}

function countReply(): Omit<StubReply & { type: "count" }, "id" | "type"> {
  return {
    messages,
    invocations: arrivals.length,
    firstAt: arrivals[0] ?? 0,
    lastAt: arrivals[arrivals.length - 1] ?? 0,
  };
}

function answer(request: StubRequest): StubReply {
  switch (request.type) {
    case "reset":
      arrivals = [];
      sizes = [];
      latencies = [];
      gaps = [];
      holds = [];
      messages = 0;
      return { id: request.id, type: "reset" };
    case "count":
      return { id: request.id, type: "count", ...countReply() };
    case "stats":
      return { id: request.id, type: "stats", ...countReply(), arrivals, sizes, latencies, gaps, holds };
  }
}

const server = createServer({ keepAliveTimeout: 120_000 }, handle);
server.maxConnections = 10_000;
server.headersTimeout = 0;
server.requestTimeout = 0;
server.listen(port, "127.0.0.1", () => {
  const ready: StubReady = { type: "ready", port };
  process.send?.(ready);
});
process.on("message", (request: StubRequest) => process.send?.(answer(request)));
process.on("disconnect", () => process.exit(0));
