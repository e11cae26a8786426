import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { S3Client } from "@aws-sdk/client-s3";
import middy from "@middy/core";
import {
  parseRabbitMQEvent,
  processRecords,
  rabbitMQParser,
  resolveLargePayloads,
} from "../../../src/middleware/index.js";
import { s3PointerJson } from "../../../src/shared/s3-pointer.js";
import { S3Server } from "../../helpers/s3-server.js";
import { event, invoke, message } from "./fixtures.js";

const JSON_TYPE = { contentType: "application/json" };
const legacy = (bucket: string, key: string) =>
  JSON.stringify(["com.amazon.sqs.javamessaging.MessageS3Pointer", { s3BucketName: bucket, s3Key: key }]);

describe("resolveLargePayloads", () => {
  it("replaces each pointer (both class names) with the object, decoded as any body; other records untouched", async () => {
    const objects: Record<string, string> = { "b/new": '{"big":true}', "b/old": "plain text" };
    const parsed = parseRabbitMQEvent(
      event({
        "q::/": [
          message(s3PointerJson({ bucket: "b", key: "new" }), "1", JSON_TYPE),
          message(legacy("b", "old"), "2"),
          message('{"small":1}', "3", JSON_TYPE),
        ],
      }),
    );
    const asked: string[] = [];
    await resolveLargePayloads(parsed.records, async ({ bucket, key }) => {
      asked.push(`${bucket}/${key}`);
      return Buffer.from(objects[`${bucket}/${key}`] as string);
    });
    assert.deepEqual(asked.sort(), ["b/new", "b/old"]);
    assert.deepEqual(
      parsed.records.map((r) => [r.body, r.rawBody.toString(), r.parseError]),
      [
        [{ big: true }, '{"big":true}', undefined],
        ["plain text", "plain text", undefined],
        [{ small: 1 }, '{"small":1}', undefined],
      ],
    );
  });

  it("an object it cannot read: that record gets a parseError naming it, the others resolve", async () => {
    const parsed = parseRabbitMQEvent(
      event({
        "q::/": [
          message(s3PointerJson({ bucket: "b", key: "gone" }), "1"),
          message(s3PointerJson({ bucket: "b", key: "here" }), "2"),
        ],
      }),
    );
    await resolveLargePayloads(parsed.records, async ({ key }) => {
      if (key === "gone") throw new Error("NoSuchKey");
      return Buffer.from("ok");
    });
    assert.match(
      String(parsed.records[0]?.parseError?.message),
      /could not read the body from s3:\/\/b\/gone: NoSuchKey/,
    );
    assert.equal(parsed.records[1]?.body, "ok");
  });
});

describe("rabbitMQParser({ largePayload }) against an S3 API", () => {
  const s3 = new S3Server();
  before(() => s3.start());
  after(() => s3.stop());

  it("{ client }: the handler sees the original bytes; a JSON body parsed", async () => {
    const original = Buffer.from(JSON.stringify({ id: 7, text: "x".repeat(100_000) }));
    s3.objects.set("bodies/agent/k1", original);
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const seen: unknown[] = [];
    const handler = middy()
      .use(rabbitMQParser({ largePayload: { client } }))
      .handler((parsedEvent) =>
        processRecords(parsedEvent, (record) => {
          seen.push([record.rawBody.equals(original), (record.body as { id: number }).id]);
        }),
      );
    const pointer = s3PointerJson({ bucket: "bodies", key: "agent/k1" });
    const result = await invoke(
      handler,
      event({
        "q::/": [message(pointer, "1", { ...JSON_TYPE, headers: { ExtendedPayloadSize: original.length } })],
      }),
    );
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.deepEqual(seen, [[true, 7]]);
    client.destroy();
  });

  it("without largePayload a pointer stays the body", async () => {
    const pointer = s3PointerJson({ bucket: "bodies", key: "agent/k1" });
    const handler = middy()
      .use(rabbitMQParser())
      .handler(async (parsedEvent) => parsedEvent.records.map((r) => r.body));
    assert.deepEqual(await invoke(handler, event({ "q::/": [message(pointer, "1")] })), [pointer]);
  });

  it("true: an S3Client from the environment (here one that cannot reach the bucket): a parseError, no throw", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: "http://127.0.0.1:9",
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_MAX_ATTEMPTS: "1",
    });
    try {
      const handler = middy()
        .use(rabbitMQParser({ largePayload: true }))
        .handler(async (parsedEvent) => parsedEvent.records.map((r) => r.parseError?.message));
      const pointer = s3PointerJson({ bucket: "bodies", key: "nowhere" });
      const [reason] = await invoke(handler, event({ "q::/": [message(pointer, "1")] }));
      assert.match(String(reason), /^could not read the body from s3:\/\/bodies\/nowhere: /);
    } finally {
      process.env = saved;
    }
  });
});
