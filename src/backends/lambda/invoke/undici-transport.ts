import type { IncomingHttpHeaders } from "node:http";
import { type Dispatcher, Pool } from "undici";
import { toError } from "../../../errors.js";
import type { FailureEvidence } from "./classify-failure.js";
import { connectTimeoutEvidence, timeoutEvidence } from "./failure-evidence.js";
import type { InvokeTarget } from "./invoke-target.js";
import { CONNECT_TIMEOUT_MS, type Transport, type WireResult } from "./transport.js";

/** How long an idle connection is kept when the server gives no Keep-Alive hint. */
const IDLE_CONNECTION_MS = 30_000;

/** Payloads up to this size are copied into one buffer before they are sent. */
export const JOIN_PAYLOAD_UP_TO_BYTES = 64 * 1024;

/**
 * The request body undici is given. undici writes an Iterable body one chunk per socket write (a
 * system call each: three for one message's event), a single buffer together with the request
 * head in one; so a small payload is joined, and a large one, where a copy would cost memory and
 * the writes are few per byte, is sent as its chunks (documented for dispatch, missing from its types).
 */
export function requestBody(payload: readonly Uint8Array[]): Uint8Array {
  if (payload.length === 1) return payload[0] as Uint8Array;
  let size = 0;
  for (const chunk of payload) size += chunk.byteLength;
  if (size <= JOIN_PAYLOAD_UP_TO_BYTES) return Buffer.concat(payload, size);
  return payload as unknown as Uint8Array;
}

/**
 * One call on undici's low-level `dispatch`: the response is collected into chunks without a
 * stream per response. Settles exactly once: response, error, timeout or close.
 */
class InvokeCall implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];
  private readonly timer: NodeJS.Timeout;
  settled = false;

  constructor(
    private readonly calls: Set<InvokeCall>,
    private readonly resolve: (result: WireResult) => void,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => this.fail(timeoutEvidence(timeoutMs)), timeoutMs);
    calls.add(this);
  }

  fail(evidence: FailureEvidence): void {
    this.settle({ failure: evidence });
    this.controller?.abort(new Error(evidence.message));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(new Error("the call was already given up"));
  }

  onResponseStart(_: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    this.headers = headers;
  }

  onResponseData(_: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const { chunks } = this;
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    this.settle({ response: { status: this.status, headers: this.headers, body } });
  }

  onResponseError(_: Dispatcher.DispatchController | null, error: Error): void {
    this.settle({ failure: undiciFailure(error) });
  }

  private settle(result: WireResult): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.calls.delete(this);
    this.resolve(result);
  }
}

/**
 * undici: a Pool of `sockets` keep-alive connections (Nagle off) to the target's origin, requests
 * written by `dispatch` with the payload as the body (`requestBody`). One timer per call bounds the whole
 * attempt; when it fires the request is aborted and its connection closed.
 */
export function createUndiciTransport(target: InvokeTarget, sockets: number): Transport {
  const pool = new Pool(`${target.protocol}//${target.headers.host}`, {
    connections: sockets,
    pipelining: 1,
    connect: { timeout: CONNECT_TIMEOUT_MS },
    keepAliveTimeout: IDLE_CONNECTION_MS,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const calls = new Set<InvokeCall>();
  return {
    send(_target, headers, payload, timeoutMs) {
      return new Promise<WireResult>((resolve) => {
        const call = new InvokeCall(calls, resolve, timeoutMs);
        try {
          pool.dispatch({ method: "POST", path: target.path, headers, body: requestBody(payload) }, call);
        } catch (error) {
          call.onResponseError(null, toError(error));
        }
      });
    },
    close(evidence) {
      for (const call of calls) call.fail(evidence);
      void pool.destroy().catch(() => {});
    },
  };
}

/** undici's errors in the vocabulary of node:http's: the socket's own code where there is one. */
function undiciFailure(error: Error): FailureEvidence {
  const { code, cause } = error as Error & { code?: unknown; cause?: { code?: unknown } };
  if (code === "UND_ERR_CONNECT_TIMEOUT") return connectTimeoutEvidence(error.message);
  // The server closed or reset the connection before the response was complete.
  if (code === "UND_ERR_SOCKET") {
    const errorType = typeof cause?.code === "string" ? cause.code : "ECONNRESET";
    return { errorType, message: error.message };
  }
  return { errorType: typeof code === "string" ? code : error.name, message: error.message };
}
