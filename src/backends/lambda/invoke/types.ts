/** Lambda's limit for a synchronous (RequestResponse) request payload. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

export type InvokeFailureKind =
  | "function_error"
  | "throttled"
  | "timeout"
  | "network"
  | "server_error"
  | "not_found"
  | "access_denied"
  | "credentials"
  | "too_large"
  | "bad_request";

/** What one Invoke call came to. A function error is a failure even though Lambda answers 200. */
export type InvokeOutcome =
  | { kind: "ok"; payload: Uint8Array | undefined; durationMs: number; requestId?: string }
  | {
      kind: InvokeFailureKind;
      errorType: string;
      message: string;
      durationMs: number;
      httpStatus?: number;
      /** throttling Reason, e.g. ReservedFunctionConcurrentInvocationLimitExceeded */
      reason?: string;
      /** Lambda's `x-amzn-RequestId`, when it answered. */
      requestId?: string;
    };

export type InvokeFailure = Exclude<InvokeOutcome, { kind: "ok" }>;

export interface InvokerOptions {
  functionName: string;
  region?: string;
  endpoint?: string;
  timeoutMs: number;
  /** concurrent calls = keep-alive sockets */
  sockets: number;
  /** "http": signed requests on node:http, no SDK middleware per call; "sdk": LambdaClient + InvokeCommand. */
  client: "http" | "sdk";
}

export interface Invoker {
  /**
   * One synchronous (RequestResponse) invocation. Never throws. The payload comes as chunks that are
   * sent as they are (no concatenation on the http path), total `byteLength`. `headers` are sent
   * with the request, and signed (the trace context: `X-Amz-Client-Context`, `X-Amzn-Trace-Id`).
   */
  invoke(
    payload: readonly Uint8Array[],
    byteLength: number,
    headers?: Readonly<Record<string, string>>,
  ): Promise<InvokeOutcome>;
  /** Releases sockets; later invoke() calls resolve to a "network" failure. */
  close(): void;
}
