import type { S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { LargePayloadSettings } from "../../../config/types.js";
import { s3ClientConfig } from "../../aws/s3-client-config.js";

/** Where bodies are stored: one bucket, written and deleted by key. */
export interface PayloadStore {
  readonly bucket: string;
  /** Stores `body` under `key`; rejects with the SDK's error. */
  put(key: string, body: Buffer): Promise<void>;
  /** Deletes `key`; rejects with the SDK's error. */
  remove(key: string): Promise<void>;
  close(): void;
}

export interface PayloadStoreOptions {
  settings: LargePayloadSettings;
  /** The Lambda backend's region: the default of `large_payload.region`. */
  lambdaRegion: string | undefined;
  /** The longest one request may take. */
  requestTimeoutMs: number;
  env: NodeJS.ProcessEnv;
}

type S3Sdk = typeof import("@aws-sdk/client-s3");

/**
 * The S3 bucket of `large_payload`, through the AWS SDK, loaded on first use only (an agent without
 * `large_payload` never loads it). An upload sends the message's own buffer with its length: no copy.
 */
export function createS3PayloadStore(options: PayloadStoreOptions): PayloadStore {
  const { settings } = options;
  let ready: Promise<{ sdk: S3Sdk; client: S3Client }> | undefined;
  let closed = false;

  function connect(): Promise<{ sdk: S3Sdk; client: S3Client }> {
    ready ??= import("@aws-sdk/client-s3").then((sdk) => {
      const config = s3ClientConfig(
        {
          region: settings.region ?? options.lambdaRegion,
          endpoint: settings.endpoint,
          forcePathStyle: settings.forcePathStyle,
        },
        options.env,
      );
      config.requestHandler = new NodeHttpHandler({
        connectionTimeout: Math.min(options.requestTimeoutMs, 5000),
        requestTimeout: options.requestTimeoutMs,
      });
      const client = new sdk.S3Client(config);
      if (closed) client.destroy();
      return { sdk, client };
    });
    return ready;
  }

  return {
    bucket: settings.bucket,
    async put(key, body) {
      const { sdk, client } = await connect();
      await client.send(
        new sdk.PutObjectCommand({
          Bucket: settings.bucket,
          Key: key,
          Body: body,
          ContentLength: body.byteLength,
          ContentType: "application/octet-stream",
          ...(settings.sse ? { ServerSideEncryption: settings.sse } : {}),
          ...(settings.kmsKeyId ? { SSEKMSKeyId: settings.kmsKeyId } : {}),
        }),
      );
    },
    async remove(key) {
      const { sdk, client } = await connect();
      await client.send(new sdk.DeleteObjectCommand({ Bucket: settings.bucket, Key: key }));
    },
    close() {
      closed = true;
      ready?.then(({ client }) => client.destroy()).catch(() => undefined);
    },
  };
}
