// Bodies of any size through the agent's `large_payload` claim check: the middleware resolves each
// S3 pointer (the agent's, or a publisher's own extended-client pointer) before the handler runs,
// so `record.rawBody` is the original bytes. Records each message's sha256 (tests compare it with
// the publisher's); a message with the header `fail` throws (it is retried, then dead-lettered).
// LARGE_PAYLOAD_S3_ENDPOINT points the S3 client at a local S3-compatible server (tests, `npm start`);
// deployed, leave it unset: the function reads the bucket with its role (s3:GetObject).
import { createHash } from "node:crypto";
import { S3Client } from "@aws-sdk/client-s3";
import middy from "@middy/core";
import { processRecords, rabbitMQParser, rabbitMQPartialBatchFailure } from "amqp-lambda-agent/middleware";
import { record } from "./record.mjs";

const endpoint = process.env.LARGE_PAYLOAD_S3_ENDPOINT || undefined;
const client = new S3Client(
  endpoint
    ? {
        endpoint,
        forcePathStyle: true,
        region: "us-east-1",
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      }
    : {},
);

export const handler = middy()
  .use([rabbitMQParser({ largePayload: { client } }), rabbitMQPartialBatchFailure()])
  .handler((event) =>
    processRecords(event, async (message) => {
      if (message.headers.fail) throw new Error(`message ${message.basicProperties.messageId} rejected`);
      record(message.queue, {
        id: message.basicProperties.messageId,
        sha256: createHash("sha256").update(message.rawBody).digest("hex"),
        bytes: message.rawBody.byteLength,
        extendedPayloadSize: message.headers.ExtendedPayloadSize ?? null,
      });
    }),
  );
