import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** Headers of one hop that fetch sets itself. */
const HOP_HEADERS = new Set([
  "host",
  "content-length",
  "connection",
  "transfer-encoding",
  "expect",
  "keep-alive",
]);

/** What the proxy answers instead of forwarding, as Lambda's Invoke API puts it on the wire. */
export type Fault = "pass" | "throttle" | "not_found" | "function_error";

/**
 * A fault-injecting proxy in front of serverless-offline's Invoke API: it forwards invocations,
 * or answers them as Lambda does during an outage (429 TooManyRequestsException, 404
 * ResourceNotFoundException, 200 with X-Amz-Function-Error), counts calls per fault and keeps
 * each call's headers.
 */
export class LambdaFaultProxy {
  fault: Fault = "pass";
  readonly calls: Record<Fault, number> = { pass: 0, throttle: 0, not_found: 0, function_error: 0 };
  /** The headers of every call, in arrival order (what the agent put on the Invoke request). */
  readonly requestHeaders: IncomingHttpHeaders[] = [];
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly target: string) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => void this.handle(request, response));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const fault = this.fault;
    this.calls[fault] += 1;
    this.requestHeaders.push(request.headers);
    const json = (status: number, headers: Record<string, string>, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json", ...headers });
      response.end(JSON.stringify(body));
    };
    switch (fault) {
      case "throttle":
        return json(
          429,
          { "x-amzn-errortype": "TooManyRequestsException" },
          {
            Reason: "ReservedFunctionConcurrentInvocationLimitExceeded",
            Type: "User",
            message: "Rate Exceeded.",
          },
        );
      case "not_found":
        return json(
          404,
          { "x-amzn-errortype": "ResourceNotFoundException" },
          {
            Type: "User",
            message: "Function not found: arn:aws:lambda:us-east-1:000000000000:function:probe",
          },
        );
      case "function_error":
        return json(
          200,
          { "x-amz-function-error": "Unhandled" },
          { errorType: "Error", errorMessage: "the database is down", trace: [] },
        );
      default: {
        const upstream = await fetch(`${this.target}${request.url ?? "/"}`, {
          method: request.method ?? "POST",
          headers: Object.fromEntries(
            Object.entries(request.headers).filter(
              (entry): entry is [string, string] =>
                typeof entry[1] === "string" && !HOP_HEADERS.has(entry[0]),
            ),
          ),
          body: Buffer.concat(chunks),
        }).catch(() => undefined);
        if (!upstream) {
          response.writeHead(502);
          response.end();
          return;
        }
        const headers: Record<string, string> = {};
        upstream.headers.forEach((value, key) => {
          if (key !== "content-length" && key !== "transfer-encoding" && key !== "connection")
            headers[key] = value;
        });
        response.writeHead(upstream.status, headers);
        response.end(Buffer.from(await upstream.arrayBuffer()));
      }
    }
  }
}
