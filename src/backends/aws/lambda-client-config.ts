import type { LambdaClientConfig } from "@aws-sdk/client-lambda";
import type { InvokerOptions } from "../lambda/invoke/types.js";

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/**
 * The LambdaClient configuration both invoke paths start from: region and endpoint when configured,
 * no SDK retries (the agent retries with its own policy). A local Invoke API (serverless-offline,
 * LocalStack) accepts any signature: against a loopback endpoint, a machine with no AWS
 * configuration gets us-east-1 and dummy credentials, while real ones still win when configured.
 */
export function lambdaClientConfig(
  options: Pick<InvokerOptions, "region" | "endpoint">,
  env: NodeJS.ProcessEnv,
): LambdaClientConfig {
  const config: LambdaClientConfig = { maxAttempts: 1 };
  if (options.region) config.region = options.region;
  if (options.endpoint) config.endpoint = options.endpoint;
  const target = options.endpoint ?? env.AWS_ENDPOINT_URL_LAMBDA ?? env.AWS_ENDPOINT_URL;
  if (target && isLoopback(target)) {
    if (!options.region && !env.AWS_REGION && !env.AWS_DEFAULT_REGION) config.region = "us-east-1";
    if (!env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
      config.credentials = { accessKeyId: "local", secretAccessKey: "local" };
    }
  }
  return config;
}

/** True for a URL on this machine (localhost, 127.x.x.x, [::1]). */
export function isLoopback(url: string): boolean {
  try {
    return LOOPBACK.test(new URL(url).hostname);
  } catch {
    return false;
  }
}
