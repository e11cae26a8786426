import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { LambdaClient, type LambdaClientConfig } from "@aws-sdk/client-lambda";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { InvokerOptions } from "./invoke/types.js";

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/**
 * One Lambda client per agent. Its HTTP agent allows as many sockets as the agent has workers (the
 * SDK's default of 50 would queue invocations inside the client), and the SDK's own retries are
 * off: the agent retries failed invocations itself, with its own backoff and failure policy. A call
 * slower than `consumer.timeout` fails with a `TimeoutError`.
 */
export function createLambdaClient(
  config: InvokerOptions,
  env: NodeJS.ProcessEnv = process.env,
): LambdaClient {
  const { region, endpoint } = config;
  const sockets = Math.max(config.sockets, 1);
  const options: LambdaClientConfig = {
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: sockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: sockets }),
      connectionTimeout: 5_000,
      // consumer.timeout per attempt: one timer per request, cheaper than an AbortSignal per call.
      requestTimeout: config.timeoutMs,
      throwOnRequestTimeout: true,
    }),
  };
  if (region) options.region = region;
  if (endpoint) options.endpoint = endpoint;
  const target = endpoint ?? env.AWS_ENDPOINT_URL_LAMBDA ?? env.AWS_ENDPOINT_URL;
  if (target && isLoopback(target)) {
    // A local Invoke API (serverless-offline, LocalStack) accepts any signature: let it work on a
    // machine with no AWS account, while real credentials still win when they are configured.
    if (!region && !env.AWS_REGION && !env.AWS_DEFAULT_REGION) options.region = "us-east-1";
    if (!env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
      options.credentials = { accessKeyId: "local", secretAccessKey: "local" };
    }
  }
  return new LambdaClient(options);
}

function isLoopback(url: string): boolean {
  try {
    return LOOPBACK.test(new URL(url).hostname);
  } catch {
    return false;
  }
}
