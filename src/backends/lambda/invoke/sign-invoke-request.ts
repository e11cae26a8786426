import { createHash } from "node:crypto";
import type { HttpRequest } from "@smithy/types";
import type { InvokeTarget } from "./invoke-target.js";

/**
 * Signs one Invoke request with the SDK's SigV4 signer, over the payload chunks as they are: the
 * body hash is computed here, incrementally, and handed to the signer as `x-amz-content-sha256`
 * (the header the SDK sends too), so the chunks are never concatenated. The headers are the SDK's,
 * including a fresh `amz-sdk-invocation-id`, so the signature is the one the SDK would compute.
 * `extraHeaders` (the trace context) are signed with them, as the SDK signs a command's headers.
 */
export async function signInvokeRequest(
  target: InvokeTarget,
  payload: readonly Uint8Array[],
  byteLength: number,
  signingDate: Date,
  extraHeaders?: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  const hash = createHash("sha256");
  for (const chunk of payload) hash.update(chunk);
  const request: HttpRequest = {
    method: "POST",
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port,
    path: target.path,
    query: {},
    headers: {
      ...target.headers,
      ...extraHeaders,
      "content-length": String(byteLength),
      "amz-sdk-invocation-id": crypto.randomUUID(),
      "x-amz-content-sha256": hash.digest("hex"),
    },
  };
  const signed = await target.signer.sign(request, {
    signingDate,
    signingRegion: target.signingRegion,
    signingService: target.signingService,
  });
  return signed.headers;
}
