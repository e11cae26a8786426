import { readS3Pointer } from "../shared/s3-pointer.js";
import { toError } from "../shared/to-error.js";
import { decodeBody } from "./decode-body.js";
import type { AnyParsedRabbitMQRecord } from "./parsed-event-types.js";
import type { S3ObjectReader } from "./s3-object-reader.js";

/**
 * Replaces, in place, each record whose body is an extended-client pointer
 * (`software.amazon.payloadoffloading.PayloadS3Pointer` or the older
 * `com.amazon.sqs.javamessaging.MessageS3Pointer`, from the agent's `large_payload` or a publisher
 * of its own) with the object it points to: `rawBody` becomes its bytes and `body` is decoded as
 * for any message. An object that cannot be read gives the record a `parseError` (it is reported
 * as failed); the others go on. Objects are read in parallel.
 */
export async function resolveLargePayloads(
  records: readonly AnyParsedRabbitMQRecord[],
  read: S3ObjectReader,
): Promise<void> {
  await Promise.all(
    records.map(async (record) => {
      const pointer = readS3Pointer(record.rawBody);
      if (!pointer) return;
      const target = record as unknown as Record<string, unknown>;
      try {
        const rawBody = await read(pointer);
        target.rawBody = rawBody;
        delete target.parseError;
        Object.assign(target, decodeBody(rawBody, record.basicProperties?.contentType));
      } catch (thrown) {
        const error = toError(thrown);
        target.parseError = new Error(
          `could not read the body from s3://${pointer.bucket}/${pointer.key}: ${error.message}`,
          { cause: error },
        );
      }
    }),
  );
}
