import { classifyFailure, functionErrorOutcome } from "./classify-failure.js";
import { errorResponseEvidence } from "./failure-evidence.js";
import type { WireResponse } from "./transport.js";
import type { InvokeOutcome } from "./types.js";

const single = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/**
 * The outcome of an Invoke response: 2xx with `X-Amz-Function-Error` is the function's failure, 2xx
 * without it is success (no payload when the body is empty), anything else is Lambda's error,
 * typed by `x-amzn-errortype` and its JSON body. The request id (`x-amzn-RequestId`) comes along.
 */
export function outcomeOfResponse(response: WireResponse, durationMs: number): InvokeOutcome {
  const outcome = outcomeOfStatus(response, durationMs);
  const requestId = single(response.headers["x-amzn-requestid"]);
  if (requestId !== undefined) outcome.requestId = requestId;
  return outcome;
}

function outcomeOfStatus(response: WireResponse, durationMs: number): InvokeOutcome {
  const { status, headers, body } = response;
  if (status >= 200 && status < 300) {
    const payload = body.byteLength > 0 ? body : undefined;
    const functionError = single(headers["x-amz-function-error"]);
    if (functionError) return functionErrorOutcome(functionError, payload, durationMs);
    return { kind: "ok", payload, durationMs };
  }
  const errorType = single(headers["x-amzn-errortype"]);
  return classifyFailure(errorResponseEvidence(status, errorType, body), durationMs);
}
