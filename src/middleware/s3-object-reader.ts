import type { S3Client } from "@aws-sdk/client-s3";
import type { S3Pointer } from "../shared/s3-pointer.js";

/** `rabbitMQParser({ largePayload })`: `true` (an S3Client from the environment), or a client of your own. */
export type LargePayloadOption = boolean | { client: S3Client };

/** Reads an object's bytes. */
export type S3ObjectReader = (pointer: S3Pointer) => Promise<Buffer>;

/**
 * Reads the objects pointers name, through `@aws-sdk/client-s3` (an optional peer dependency,
 * part of the Lambda Node.js runtime): loaded on the first pointer only, so a function that never
 * gets one never loads it. The one module of the middleware that imports a package at run time.
 */
export function s3ObjectReader(option: Exclude<LargePayloadOption, false>): S3ObjectReader {
  let client: S3Client | undefined = option === true ? undefined : option.client;
  return async ({ bucket, key }) => {
    const sdk = await import("@aws-sdk/client-s3");
    client ??= new sdk.S3Client({});
    const answer = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!answer.Body) throw new Error(`s3://${bucket}/${key} has no body`);
    return Buffer.from(await answer.Body.transformToByteArray());
  };
}
