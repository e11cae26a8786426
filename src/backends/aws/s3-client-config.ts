import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { isLoopback } from "./lambda-client-config.js";

export interface S3Settings {
  region: string | undefined;
  endpoint: string | undefined;
  forcePathStyle: boolean;
}

/**
 * The S3Client configuration of the claim check: right for AWS and for local S3-compatible servers.
 * Checksums only where S3 requires them (since 3.729 the SDK otherwise sends CRC32 trailers in
 * `aws-chunked` bodies, which such servers store corrupted); path-style URLs when asked or for a
 * loopback endpoint; no SDK retries (the agent retries with its own policy). Credentials and region
 * follow the Lambda rule: a loopback endpoint on a machine with no AWS configuration gets us-east-1
 * and dummy credentials, while real ones still win when configured.
 */
export function s3ClientConfig(settings: S3Settings, env: NodeJS.ProcessEnv): S3ClientConfig {
  const config: S3ClientConfig = {
    maxAttempts: 1,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    forcePathStyle: settings.forcePathStyle,
  };
  if (settings.region) config.region = settings.region;
  if (settings.endpoint) config.endpoint = settings.endpoint;
  const target = settings.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  if (target && isLoopback(target)) {
    config.forcePathStyle = true;
    if (!settings.region && !env.AWS_REGION && !env.AWS_DEFAULT_REGION) config.region = "us-east-1";
    if (!env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
      config.credentials = { accessKeyId: "local", secretAccessKey: "local" };
    }
  }
  return config;
}
