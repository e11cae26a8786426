import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { toError } from "../errors.js";
import { classifyInvokeError, functionErrorOutcome, type InvokeOutcome } from "./invoke-outcome.js";

/** Lambda's limit for a synchronous (RequestResponse) request payload. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

/**
 * Invokes a function synchronously and reports the outcome as a value; it never throws. A response
 * with `FunctionError` is a failure even though its HTTP status is 200.
 */
export async function invokeFunction(
  client: LambdaClient,
  functionName: string,
  payload: Uint8Array,
): Promise<InvokeOutcome> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  if (payload.byteLength > MAX_SYNC_PAYLOAD_BYTES) {
    return {
      kind: "too_large",
      retryable: false,
      errorType: "PayloadTooLarge",
      message: `payload of ${payload.byteLength} bytes is over Lambda's ${MAX_SYNC_PAYLOAD_BYTES}-byte synchronous limit`,
      durationMs: 0,
    };
  }
  try {
    const response = await client.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: "RequestResponse", Payload: payload }),
    );
    if (response.FunctionError)
      return functionErrorOutcome(response.FunctionError, response.Payload, elapsed());
    return { kind: "ok", payload: response.Payload, durationMs: elapsed() };
  } catch (thrown) {
    return classifyInvokeError(toError(thrown), elapsed());
  }
}
