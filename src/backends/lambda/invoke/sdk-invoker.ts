import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import {
  InvokeCommand,
  type InvokeCommandInput,
  type InvokeCommandOutput,
  LambdaClient,
  type LambdaClientConfig,
} from "@aws-sdk/client-lambda";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { BuildMiddleware } from "@smithy/types";
import { toError } from "../../../errors.js";
import { lambdaClientConfig } from "../../aws/lambda-client-config.js";
import {
  CLOSED_EVIDENCE,
  classifyFailure,
  functionErrorOutcome,
  payloadTooLargeOutcome,
} from "./classify-failure.js";
import { thrownEvidence, timeoutEvidence } from "./failure-evidence.js";
import { CONNECT_TIMEOUT_MS } from "./transport.js";
import { type InvokeOutcome, type Invoker, type InvokerOptions, MAX_SYNC_PAYLOAD_BYTES } from "./types.js";

/**
 * The AWS SDK path: `LambdaClient.send(new InvokeCommand(...))`, the chunks concatenated once. Its
 * keep-alive agents allow `sockets` connections; the attempt's timeout is the invoker's own timer,
 * which also covers reading the response body.
 */
export function createSdkInvoker(
  options: InvokerOptions,
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<LambdaClientConfig> = {},
): Invoker {
  const { functionName, timeoutMs, sockets } = options;
  const client = new LambdaClient({
    ...lambdaClientConfig(options, env),
    requestHandler: new NodeHttpHandler({
      // Node's agents set TCP_NODELAY on their sockets by default.
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: sockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: sockets }),
      connectionTimeout: CONNECT_TIMEOUT_MS,
    }),
    ...overrides,
  });
  const inFlight = new Set<AbortController>();
  let closed = false;

  async function invoke(
    payload: readonly Uint8Array[],
    byteLength: number,
    extraHeaders?: Readonly<Record<string, string>>,
  ): Promise<InvokeOutcome> {
    if (byteLength > MAX_SYNC_PAYLOAD_BYTES) return payloadTooLargeOutcome(byteLength);
    const started = performance.now();
    if (closed) return classifyFailure(CLOSED_EVIDENCE, 0);
    const body = payload.length === 1 ? (payload[0] as Uint8Array) : Buffer.concat(payload, byteLength);
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, timeoutMs);
    inFlight.add(abort);
    try {
      const command = new InvokeCommand({
        FunctionName: functionName,
        InvocationType: "RequestResponse",
        Payload: body,
      });
      if (extraHeaders) command.middlewareStack.add(addHeaders(extraHeaders), ADD_HEADERS);
      const response = await client.send(command, { abortSignal: abort.signal });
      const durationMs = performance.now() - started;
      const responsePayload = response.Payload?.byteLength ? response.Payload : undefined;
      const requestId = response.$metadata.requestId;
      if (response.FunctionError)
        return { ...functionErrorOutcome(response.FunctionError, responsePayload, durationMs), requestId };
      return { kind: "ok", payload: responsePayload, durationMs, requestId };
    } catch (thrown) {
      const durationMs = performance.now() - started;
      if (timedOut) return classifyFailure(timeoutEvidence(timeoutMs), durationMs);
      if (closed) return classifyFailure(CLOSED_EVIDENCE, durationMs);
      return classifyFailure(thrownEvidence(toError(thrown)), durationMs);
    } finally {
      clearTimeout(timer);
      inFlight.delete(abort);
    }
  }

  return {
    invoke,
    close() {
      if (closed) return;
      closed = true;
      for (const abort of inFlight) abort.abort();
      client.destroy();
    },
  };
}

const ADD_HEADERS = { step: "build", name: "amqpLambdaAgentExtraHeaders" } as const;

/** Sets `headers` on the request before it is signed (the build step comes before finalizeRequest). */
function addHeaders(
  headers: Readonly<Record<string, string>>,
): BuildMiddleware<InvokeCommandInput, InvokeCommandOutput> {
  return (next) => (args) => {
    const request = args.request as { headers?: Record<string, string> };
    if (request.headers) Object.assign(request.headers, headers);
    return next(args);
  };
}
