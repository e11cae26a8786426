import { type Agent, type ClientRequest, type IncomingMessage, request } from "node:http";
import { request as httpsRequest } from "node:https";
import type { FailureEvidence } from "../src/backends/lambda/invoke/classify-failure.js";
import { connectTimeoutEvidence, timeoutEvidence } from "../src/backends/lambda/invoke/failure-evidence.js";
import type { InvokeTarget } from "../src/backends/lambda/invoke/invoke-target.js";
import type { Transport, WireResult } from "../src/backends/lambda/invoke/transport.js";
import { toError } from "../src/errors.js";
import { ConnectTimeoutError } from "./keep-alive-agent.js";

/**
 * node:http(s) on a keep-alive agent: the alternative to the default undici transport, measured
 * against it by bench/invoke-paths.ts. One timer per call bounds the whole attempt (queueing for a
 * socket, connecting, sending, the function's run, reading the body); when it fires the request and
 * its socket are destroyed.
 */
export function createNodeHttpTransport(agent: Agent): Transport {
  const inFlight = new Map<ClientRequest, (result: WireResult) => void>();

  function send(
    target: InvokeTarget,
    headers: Record<string, string>,
    payload: readonly Uint8Array[],
    timeoutMs: number,
  ): Promise<WireResult> {
    return new Promise<WireResult>((resolve) => {
      // Headers as a flat list: node:http then skips its per-header setHeader bookkeeping.
      const list: string[] = [];
      for (const name in headers) list.push(name, headers[name] as string);
      const options = { agent, method: "POST", host: target.hostname, port: target.port, path: target.path };
      const req = (target.protocol === "https:" ? httpsRequest : request)({ ...options, headers: list });
      const settle = (result: WireResult): void => {
        if (!inFlight.delete(req)) return;
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => {
        settle({ failure: timeoutEvidence(timeoutMs) });
        req.destroy();
      }, timeoutMs);
      inFlight.set(req, settle);
      req.on("error", (error) => settle({ failure: socketFailure(error) }));
      req.on("response", (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", (error) => settle({ failure: socketFailure(error) }));
        res.on("close", () => {
          if (!res.complete)
            settle({ failure: { errorType: "ECONNRESET", message: "the connection closed mid-response" } });
        });
        res.on("end", () => {
          const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
          settle({ response: { status: res.statusCode ?? 0, headers: res.headers, body } });
        });
      });
      if (payload.length === 1) {
        req.end(payload[0]);
        return;
      }
      req.cork();
      for (const chunk of payload) req.write(chunk);
      req.end();
    });
  }

  return {
    send,
    close(evidence) {
      for (const [req, settle] of inFlight) {
        settle({ failure: evidence });
        req.destroy();
      }
      agent.destroy();
    },
  };
}

/** A socket-level failure: its Node.js error code (ECONNREFUSED, ECONNRESET, ...) is its type. */
function socketFailure(error: unknown): FailureEvidence {
  if (error instanceof ConnectTimeoutError) return connectTimeoutEvidence(error.message);
  const failure = toError(error);
  const code = (failure as Error & { code?: unknown }).code;
  return { errorType: typeof code === "string" ? code : failure.name, message: failure.message };
}
