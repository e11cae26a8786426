import type { IncomingHttpHeaders } from "node:http";
import type { FailureEvidence } from "./classify-failure.js";
import type { InvokeTarget } from "./invoke-target.js";

/** How long a new connection may take to be established before the call fails as a network error. */
export const CONNECT_TIMEOUT_MS = 5_000;

export interface WireResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type WireResult = { response: WireResponse } | { failure: FailureEvidence };

/** Sends signed Invoke requests on keep-alive connections to one target. */
export interface Transport {
  /**
   * Sends one request with the payload chunks as its body and reads the whole response; resolves,
   * never rejects. `timeoutMs` bounds the whole attempt; past it the connection is closed.
   */
  send(
    target: InvokeTarget,
    headers: Record<string, string>,
    payload: readonly Uint8Array[],
    timeoutMs: number,
  ): Promise<WireResult>;
  /** Fails the calls in flight with `evidence` and closes every connection. */
  close(evidence: FailureEvidence): void;
}
