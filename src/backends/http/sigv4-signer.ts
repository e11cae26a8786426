import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { SigV4Config } from "../../config/http-backend-types.js";
import { decodeOrKeep } from "../../shared/decode-or-keep.js";
import { ClockSkew } from "../aws/clock-skew.js";
import { lambdaClientConfig } from "../aws/lambda-client-config.js";
import { SignerSha256 } from "../aws/signer-sha256.js";
import type { HttpTarget } from "./http-target.js";

/** One request as it goes on the wire, before signing. */
export interface UnsignedRequest {
  method: string;
  target: HttpTarget;
  /** Path and query string as sent. */
  path: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface RequestSigner {
  /** The request's headers with `authorization`, `x-amz-date` (and `x-amz-security-token`) added. */
  sign(request: UnsignedRequest): Promise<Record<string, string>>;
  /** A response's `Date` corrects the signing clock, as the SDK does. */
  observe(headers: IncomingHttpHeaders, sentAt: number): void;
  close(): void;
}

export interface SigV4Seams {
  /** Instead of the default chain (tests). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/**
 * `auth/aws-sigv4`: every request signed by the SDK's SigV4 signer over its payload (its SHA-256 sent
 * as `x-amz-content-sha256`, never `UNSIGNED-PAYLOAD`), with every header sent. Credentials come from
 * the SDK's default chain, resolved and refreshed by a LambdaClient that is never used to send (the
 * Lambda path's configuration: against loopback hosts, a machine without AWS credentials signs with
 * dummy ones); its clock-skew correction applies too.
 */
export function createSigV4Signer(
  config: SigV4Config,
  hosts: readonly string[],
  env: NodeJS.ProcessEnv,
  seams: SigV4Seams = {},
): RequestSigner {
  // Dummy credentials only when every host is a loopback one.
  const endpoint = hosts.find((host) => !isLoopbackHost(host)) ?? hosts[0];
  const client = seams.credentials
    ? undefined
    : new LambdaClient(lambdaClientConfig({ region: config.region, endpoint }, env));
  const signer = new SignatureV4({
    credentials: seams.credentials ?? (client as LambdaClient).config.credentials,
    region: config.region,
    service: config.service,
    sha256: SignerSha256,
    uriEscapePath: true,
  });
  let clock: ClockSkew | undefined;

  async function sign(request: UnsignedRequest): Promise<Record<string, string>> {
    clock ??= new ClockSkew(0, client ? await client.config.disableClockSkewCorrection() : false);
    const { target } = request;
    const query = request.path.indexOf("?");
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: query < 0 ? request.path : request.path.slice(0, query),
        query: query < 0 ? {} : parseQuery(request.path.slice(query + 1)),
        headers: {
          ...request.headers,
          host: target.host,
          "x-amz-content-sha256": createHash("sha256").update(request.body).digest("hex"),
        },
      },
      { signingDate: clock.signingDate(), signingRegion: config.region, signingService: config.service },
    );
    return signed.headers;
  }

  return {
    sign,
    observe(headers, sentAt) {
      clock?.observe(headers, sentAt);
    },
    close() {
      client?.destroy();
    },
  };
}

/**
 * A query string as the signer wants it: names and values decoded (`%XX` only: a `+` stays a `+`),
 * a name without `=` as `null`, repeated names as lists.
 */
export function parseQuery(search: string): Record<string, string | string[] | null> {
  const query: Record<string, string | string[] | null> = Object.create(null);
  for (const part of search.split("&")) {
    if (part === "") continue;
    const equals = part.indexOf("=");
    const name = decodeOrKeep(equals < 0 ? part : part.slice(0, equals));
    const value = equals < 0 ? null : decodeOrKeep(part.slice(equals + 1));
    if (!(name in query)) {
      query[name] = value;
      continue;
    }
    const previous = query[name] ?? null;
    const list = previous === null ? [""] : Array.isArray(previous) ? previous : [previous];
    query[name] = [...list, value ?? ""];
  }
  return query;
}

function isLoopbackHost(host: string): boolean {
  return /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(new URL(host).hostname);
}
