// Temporary: the SDK path behind the Invoker interface, until the lean path lands.
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { createLambdaClient } from "../client.js";
import { classifyInvokeError, functionErrorOutcome } from "../invoke-outcome.js";
import type { InvokeOutcome, Invoker, InvokerOptions } from "./types.js";
import { MAX_SYNC_PAYLOAD_BYTES } from "./types.js";

export * from "./types.js";

export function createInvoker(options: InvokerOptions, env: NodeJS.ProcessEnv = process.env): Invoker {
  const client = createLambdaClient(options, env);
  return {
    async invoke(payload, byteLength): Promise<InvokeOutcome> {
      const started = performance.now();
      if (byteLength > MAX_SYNC_PAYLOAD_BYTES) {
        return { kind: "too_large", errorType: "PayloadTooLarge", message: "too large", durationMs: 0 };
      }
      try {
        const response = await client.send(
          new InvokeCommand({
            FunctionName: options.functionName,
            InvocationType: "RequestResponse",
            Payload: Buffer.concat(payload as Uint8Array[], byteLength),
          }),
        );
        const durationMs = performance.now() - started;
        if (response.FunctionError)
          return functionErrorOutcome(response.FunctionError, response.Payload, durationMs);
        return { kind: "ok", payload: response.Payload, durationMs };
      } catch (thrown) {
        return classifyInvokeError(thrown as Error, performance.now() - started);
      }
    },
    close: () => client.destroy(),
  };
}
