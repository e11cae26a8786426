import { type FailureEvidence, parseJsonObject } from "./classify-failure.js";

/**
 * The error type as the SDK reads it from `x-amzn-errortype` or the body's `code` / `__type`:
 * `ResourceNotFoundException:http://internal.amazon.com/` and `com.amazon#Foo` become
 * `ResourceNotFoundException` and `Foo`.
 */
export function sanitizeErrorType(raw: string): string {
  let value = raw;
  if (value.includes(",")) value = value.split(",")[0] as string;
  if (value.includes(":")) value = value.split(":")[0] as string;
  if (value.includes("#")) value = value.split("#")[1] as string;
  return value;
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;

/** An HTTP error response from the Invoke API, read the way the SDK's restJson1 protocol reads it. */
export function errorResponseEvidence(
  status: number,
  errorTypeHeader: string | undefined,
  body: Uint8Array | undefined,
): FailureEvidence {
  const data = parseJsonObject(body);
  if (!data) return notJsonEvidence(status, errorTypeHeader);
  const codeKey = Object.keys(data).find((key) => key.toLowerCase() === "code");
  const rawType =
    errorTypeHeader ?? text(codeKey === undefined ? undefined : data[codeKey]) ?? text(data.__type);
  const evidence: FailureEvidence = {
    errorType: rawType === undefined ? "Unknown" : sanitizeErrorType(rawType),
    message: text(data.message) ?? text(data.Message) ?? "UnknownError",
    httpStatus: status,
  };
  if (typeof data.Reason === "string") evidence.reason = data.Reason;
  return evidence;
}

/** An error response whose body is not JSON (a proxy's HTML page, a truncated body). */
function notJsonEvidence(status: number, errorTypeHeader: string | undefined): FailureEvidence {
  return {
    errorType: errorTypeHeader === undefined ? "Unknown" : sanitizeErrorType(errorTypeHeader),
    message: `HTTP ${status} response whose body is not JSON`,
    httpStatus: status,
  };
}

interface ThrownShape {
  name?: unknown;
  code?: unknown;
  Reason?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

/**
 * A thrown error as evidence: an SDK service exception (name, status, `Reason`), an SDK response
 * that could not be parsed, the SDK's connection timeout, a Node.js socket error (its `code`), or a
 * failure to resolve credentials, region or endpoint (its name).
 */
export function thrownEvidence(error: Error): FailureEvidence {
  const shape = error as Error & ThrownShape;
  const status = shape.$metadata?.httpStatusCode;
  const code = typeof shape.code === "string" ? shape.code : undefined;
  if (status !== undefined) {
    if (error.name === "SyntaxError") {
      // The SDK could not parse the error body; its raw response is kept on the error.
      return notJsonEvidence(status, shape.$response?.headers?.["x-amzn-errortype"]);
    }
    const evidence: FailureEvidence = { errorType: error.name, message: error.message, httpStatus: status };
    if (typeof shape.Reason === "string") evidence.reason = shape.Reason;
    return evidence;
  }
  // @smithy/node-http-handler's connection timeout: a TimeoutError without a code.
  if (error.name === "TimeoutError" && code === undefined) return connectTimeoutEvidence(error.message);
  return { errorType: code ?? error.name, message: error.message };
}

export function connectTimeoutEvidence(message: string): FailureEvidence {
  return { errorType: "ConnectTimeout", message };
}

/** The invoker's own timer fired: the attempt took longer than `timeoutMs`. */
export function timeoutEvidence(timeoutMs: number): FailureEvidence {
  return {
    errorType: "InvokeTimeout",
    message: `the invocation did not complete within ${timeoutMs} ms; its connection was closed`,
    timedOut: true,
  };
}
