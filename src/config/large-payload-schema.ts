import { z } from "zod";
import { parseByteSize } from "./byte-size.js";

export const LARGE_PAYLOAD_CLEANUPS = ["after_ack", "never"] as const;
export const SERVER_SIDE_ENCRYPTIONS = ["AES256", "aws:kms"] as const;

const SIZE_HINT =
  'expected a size: bytes (a whole number) or text such as "256KB", "5MB", "256KiB" or "5MiB"';

/** A size in bytes (`parseByteSize`), at least 1. */
const byteSize = z.union([z.number(), z.string()], { error: SIZE_HINT }).transform((value, ctx) => {
  const bytes = parseByteSize(value);
  if (bytes === undefined || bytes < 1) {
    ctx.addIssue({ code: "custom", message: `${SIZE_HINT}, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return bytes;
});

/**
 * `backend/lambda.large_payload`: bodies over `threshold` (or every body with `always`) go to S3
 * and the event carries the extended clients' pointer instead (the claim check).
 */
export const largePayloadSchema = z
  .strictObject(
    {
      bucket: z
        .string({ error: "expected the S3 bucket name the bodies go to (a string)" })
        .min(1, { error: "must not be empty" }),
      key_prefix: z
        .string({ error: 'expected a key prefix such as "amqp-lambda-agent/"' })
        .default("amqp-lambda-agent/"),
      threshold: byteSize.optional(),
      always: z.boolean({ error: "expected true or false" }).default(false),
      region: z.string().min(1, { error: "must not be empty" }).optional(),
      endpoint: z.url({ error: 'expected a URL such as "http://127.0.0.1:9000"' }).optional(),
      force_path_style: z.boolean({ error: "expected true or false" }).default(false),
      cleanup: z
        .enum(LARGE_PAYLOAD_CLEANUPS, { error: 'expected "after_ack" or "never"' })
        .default("after_ack"),
      sse: z.enum(SERVER_SIDE_ENCRYPTIONS).optional(),
      kms_key_id: z.string().min(1, { error: "must not be empty" }).optional(),
    },
    { error: 'expected an object such as {"bucket": "my-bucket"}' },
  )
  .superRefine((value, ctx) => {
    if (value.kms_key_id !== undefined && value.sse !== "aws:kms") {
      ctx.addIssue({
        code: "custom",
        path: ["kms_key_id"],
        message: 'a KMS key needs "sse": "aws:kms"; add it, or remove kms_key_id',
      });
    }
  });
