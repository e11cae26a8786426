// A small S3-compatible server for the tests: path-style PUT / GET / HEAD / DELETE of objects and
// ListObjectsV2, any bucket. It stores bodies exactly as received (an `aws-chunked` body would be
// stored as it came, as the emulators that corrupt such uploads do), counts requests, can answer
// with a scripted error, and can be stopped and started again on the same port (an outage).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface S3Request {
  method: string;
  bucket: string;
  key: string;
  headers: IncomingMessage["headers"];
}

export interface S3Fault {
  status: number;
  code: string;
}

export class S3Server {
  /** Objects by `bucket/key`. */
  readonly objects = new Map<string, Buffer>();
  /** Every object request, in order. */
  readonly requests: S3Request[] = [];
  /** Answers for the next requests of a method (each used once), before anything else happens. */
  readonly faults = new Map<string, S3Fault[]>();
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(readonly port = 0) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  count(method: string): number {
    return this.requests.filter((r) => r.method === method).length;
  }

  /** Keys of a bucket, under a prefix. */
  keys(bucket: string, prefix = ""): string[] {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/${prefix}`))
      .map((k) => k.slice(bucket.length + 1));
  }

  failNext(method: string, ...faults: S3Fault[]): void {
    this.faults.set(method, [...(this.faults.get(method) ?? []), ...faults]);
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    if (typeof address === "object" && address) (this as { port: number }).port = address.port;
    this.server = server;
    return this;
  }

  /** Closes the port and every connection: requests fail at once (ECONNREFUSED / reset). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://s3.local");
    const [bucket = "", ...rest] = url.pathname.slice(1).split("/");
    const key = rest.map(decodeURIComponent).join("/");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = req.method ?? "GET";
    if (key === "" && method === "GET") return this.list(res, bucket, url.searchParams.get("prefix") ?? "");
    this.requests.push({ method, bucket, key, headers: req.headers });
    const fault = this.faults.get(method)?.shift();
    if (fault) return error(res, fault.status, fault.code);
    const id = `${bucket}/${key}`;
    if (method === "PUT") {
      this.objects.set(id, Buffer.concat(chunks));
      res.writeHead(200, { ETag: '"etag"' }).end();
    } else if (method === "DELETE") {
      this.objects.delete(id);
      res.writeHead(204).end();
    } else {
      const body = this.objects.get(id);
      if (!body) return error(res, 404, "NoSuchKey", method === "HEAD");
      res.writeHead(200, {
        "Content-Length": body.byteLength,
        "Content-Type": "application/octet-stream",
        ETag: '"etag"',
      });
      res.end(method === "HEAD" ? undefined : body);
    }
  }

  private list(res: ServerResponse, bucket: string, prefix: string): void {
    const contents = this.keys(bucket, prefix)
      .map(
        (key) =>
          `<Contents><Key>${key}</Key><Size>${this.objects.get(`${bucket}/${key}`)?.byteLength}</Size></Contents>`,
      )
      .join("");
    res.writeHead(200, { "Content-Type": "application/xml" });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${prefix}</Prefix><KeyCount>${this.keys(bucket, prefix).length}</KeyCount><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
    );
  }
}

function error(res: ServerResponse, status: number, code: string, head = false): void {
  res.writeHead(status, { "Content-Type": "application/xml" });
  res.end(
    head
      ? undefined
      : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`,
  );
}
