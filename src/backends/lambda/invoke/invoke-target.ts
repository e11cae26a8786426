import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { userAgentMiddleware } from "@aws-sdk/core/client";
import { getEndpointFromInstructions } from "@smithy/core/endpoints";
import type { SignatureV4 } from "@smithy/signature-v4";
import type { AuthScheme, HandlerExecutionContext, MetadataBearer } from "@smithy/types";
import { ClockSkew } from "../../aws/clock-skew.js";
import { invocationPath } from "./invocation-path.js";

/** Everything about a call that does not change from one call to the next, resolved once. */
export interface InvokeTarget {
  protocol: "http:" | "https:";
  /** An IPv6 address without its brackets (the `host` header keeps them). */
  hostname: string;
  port: number | undefined;
  path: string;
  /** The headers every call carries before signing: host, content type, invocation type, user agents. */
  headers: Readonly<Record<string, string>>;
  signer: SignatureV4;
  signingRegion: string;
  signingService: string;
  clock: ClockSkew;
}

/**
 * Resolves, through the SDK's own configuration of `client` (never used to send), what the SDK
 * would resolve for each `InvokeCommand`: the region, the endpoint from Lambda's endpoint rules
 * (partitions, FIPS and dual-stack settings, `endpoint`, `AWS_ENDPOINT_URL_LAMBDA`,
 * `AWS_ENDPOINT_URL`, `endpoint_url` in the shared config), the SigV4 signer with the client's
 * memoized credential provider, and its user agent.
 */
export async function resolveInvokeTarget(client: LambdaClient, functionName: string): Promise<InvokeTarget> {
  const config = client.config;
  const endpoint = await getEndpointFromInstructions({ FunctionName: functionName }, InvokeCommand, {
    ...config,
  });
  const authScheme = endpoint.properties?.authSchemes?.[0] as AuthScheme | undefined;
  const signer = (await config.signer(authScheme)) as SignatureV4;
  const region = await config.region();
  const { url } = endpoint;
  const host = url.port ? `${url.hostname}:${url.port}` : url.hostname;
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(endpoint.headers ?? {})) headers[name] = values.join(", ");
  Object.assign(headers, {
    "x-amz-invocation-type": "RequestResponse",
    "content-type": "application/octet-stream",
    ...(await userAgentHeaders(client)),
    host,
    "amz-sdk-request": "attempt=1; max=1",
  });
  return {
    protocol: url.protocol === "http:" ? "http:" : "https:",
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port ? Number(url.port) : undefined,
    path: invocationPath(url.pathname, functionName),
    headers,
    signer,
    signingRegion: authScheme?.signingRegion ?? region,
    signingService: authScheme?.signingName ?? "lambda",
    clock: new ClockSkew(config.systemClockOffset, await config.disableClockSkewCorrection()),
  };
}

/** `user-agent` and `x-amz-user-agent` exactly as the SDK's user-agent middleware writes them. */
async function userAgentHeaders(client: LambdaClient): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  const request = { method: "POST", protocol: "https:", hostname: "", path: "/", query: {}, headers };
  const next = async () => ({ output: {} as MetadataBearer, response: {} });
  await userAgentMiddleware(client.config)(next, {} as HandlerExecutionContext)({ request, input: {} });
  return headers;
}
