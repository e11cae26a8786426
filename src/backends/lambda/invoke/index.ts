import { createHttpInvoker } from "./http-invoker.js";
import { createSdkInvoker } from "./sdk-invoker.js";
import type { Invoker, InvokerOptions } from "./types.js";

export { classifyFailure, type FailureEvidence } from "./classify-failure.js";
export {
  type InvokeFailure,
  type InvokeFailureKind,
  type InvokeOutcome,
  type Invoker,
  type InvokerOptions,
  MAX_SYNC_PAYLOAD_BYTES,
} from "./types.js";

/**
 * An invoker of one Lambda function. `client: "http"` (the default to use) signs requests with the
 * SDK's SigV4 signer and sends them with undici, at a fraction of the SDK's CPU per call (see
 * bench/invoke-paths.ts); `client: "sdk"` goes through `LambdaClient.send(InvokeCommand)`. Both
 * classify failures with the same table.
 */
export function createInvoker(options: InvokerOptions, env: NodeJS.ProcessEnv = process.env): Invoker {
  return options.client === "sdk" ? createSdkInvoker(options, env) : createHttpInvoker(options, env);
}
