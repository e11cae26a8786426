/**
 * The claim check of AWS's extended clients (amazon-sqs-java-extended-client-lib,
 * payload-offloading-java-common-lib-for-aws): a body stored in S3 travels as the JSON
 * `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"…","s3Key":"…"}]`, its
 * original size in the `ExtendedPayloadSize` attribute. Older clients wrote the class name
 * `com.amazon.sqs.javamessaging.MessageS3Pointer`. Shared by the agent and the middleware.
 */
export const PAYLOAD_S3_POINTER_CLASS = "software.amazon.payloadoffloading.PayloadS3Pointer";
export const MESSAGE_S3_POINTER_CLASS = "com.amazon.sqs.javamessaging.MessageS3Pointer";
/** The header holding the original body's byte count (a number). */
export const EXTENDED_PAYLOAD_SIZE_HEADER = "ExtendedPayloadSize";

/** No pointer is longer: a bucket name has at most 63 characters, a key at most 1,024 bytes. */
const MAX_POINTER_BYTES = 2048;
const OPEN_BRACKET = 0x5b;

export interface S3Pointer {
  bucket: string;
  key: string;
}

/** The pointer as the extended clients write it (the current class name). */
export function s3PointerJson(pointer: S3Pointer): string {
  return JSON.stringify([PAYLOAD_S3_POINTER_CLASS, { s3BucketName: pointer.bucket, s3Key: pointer.key }]);
}

/** The pointer a body holds (either class name), or `undefined` when it is an ordinary body. Never throws. */
export function readS3Pointer(body: Uint8Array): S3Pointer | undefined {
  if (body.byteLength > MAX_POINTER_BYTES || body.byteLength < 2) return undefined;
  const start = body.findIndex((byte) => byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09);
  if (body[start] !== OPEN_BRACKET) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
  const [className, fields] = parsed as [unknown, unknown];
  if (className !== PAYLOAD_S3_POINTER_CLASS && className !== MESSAGE_S3_POINTER_CLASS) return undefined;
  if (typeof fields !== "object" || fields === null) return undefined;
  const { s3BucketName, s3Key } = fields as { s3BucketName?: unknown; s3Key?: unknown };
  if (typeof s3BucketName !== "string" || typeof s3Key !== "string") return undefined;
  if (s3BucketName === "" || s3Key === "") return undefined;
  return { bucket: s3BucketName, key: s3Key };
}
