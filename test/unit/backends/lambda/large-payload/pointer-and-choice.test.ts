import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { failureScope } from "../../../../../src/backends/failure-scope.js";
import { classifyS3Failure } from "../../../../../src/backends/lambda/large-payload/classify-s3-failure.js";
import { chooseOffloads } from "../../../../../src/backends/lambda/large-payload/offload-choice.js";
import { readS3Pointer, s3PointerJson } from "../../../../../src/shared/s3-pointer.js";

describe("the extended clients' S3 pointer", () => {
  it("is written exactly as AWS's clients write it", () => {
    assert.equal(
      s3PointerJson({ bucket: "bodies", key: "amqp-lambda-agent/k1" }),
      '["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bodies","s3Key":"amqp-lambda-agent/k1"}]',
    );
  });

  it("is read back, with either class name, whitespace allowed", () => {
    const read = (text: string) => readS3Pointer(Buffer.from(text));
    assert.deepEqual(read(s3PointerJson({ bucket: "b", key: "k" })), { bucket: "b", key: "k" });
    assert.deepEqual(
      read(' \n["com.amazon.sqs.javamessaging.MessageS3Pointer", {"s3BucketName": "old", "s3Key": "x/y"}]'),
      { bucket: "old", key: "x/y" },
    );
  });

  it("anything else is an ordinary body", () => {
    const bodies = [
      "",
      "[",
      '{"s3BucketName":"b","s3Key":"k"}',
      '["software.amazon.payloadoffloading.PayloadS3Pointer"]',
      '["some.other.Pointer",{"s3BucketName":"b","s3Key":"k"}]',
      '["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"","s3Key":"k"}]',
      '["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b","s3Key":7}]',
      '["software.amazon.payloadoffloading.PayloadS3Pointer",null]',
      '["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b","s3Key":"k"}',
      `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b","s3Key":"${"k".repeat(3000)}"}]`,
    ];
    for (const body of bodies) assert.equal(readS3Pointer(Buffer.from(body)), undefined, body.slice(0, 80));
  });
});

describe("chooseOffloads: which messages of a batch go to S3", () => {
  const message = (fullBytes: number, extra: { must?: boolean; offloadable?: boolean } = {}) => ({
    fullBytes,
    pointerBytes: 100,
    must: extra.must ?? false,
    offloadable: extra.offloadable ?? true,
  });

  it("none when the batch fits", () => {
    assert.deepEqual([...chooseOffloads([message(1000), message(2000)], 3000)], []);
  });

  it("those that must, whatever the room", () => {
    assert.deepEqual([...chooseOffloads([message(10, { must: true }), message(20)], 1_000_000)], [0]);
  });

  it("the largest bodies first, only until the payload fits", () => {
    const batch = [message(1000), message(4000), message(2000), message(3000)];
    // 10,000 in all; the limit 6,000: 4,000 goes (→ 6,100), then 3,000 (→ 3,200).
    assert.deepEqual([...chooseOffloads(batch, 6000)].sort(), [1, 3]);
    assert.deepEqual([...chooseOffloads(batch, 6100)].sort(), [1]);
  });

  it("never one that may not go (a publisher's own pointer); all that may when nothing fits", () => {
    const batch = [message(5000, { offloadable: false }), message(4000), message(3000)];
    assert.deepEqual([...chooseOffloads(batch, 1000)].sort(), [1, 2]);
  });

  it("a message that must go frees its room before the largest are chosen", () => {
    const batch = [message(5000, { must: true }), message(3000), message(2000)];
    assert.deepEqual([...chooseOffloads(batch, 5100)].sort(), [0]);
  });
});

describe("classifyS3Failure: every S3 failure is the platform's", () => {
  const request = { operation: "upload" as const, bucket: "b", key: "k" };
  const sdkError = (name: string, status?: number) =>
    Object.assign(new Error(`${name} happened`), {
      name,
      ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
    });
  const cases: Array<[string, unknown, string]> = [
    ["503 SlowDown", sdkError("SlowDown", 503), "throttled"],
    ["a throttling name without status", sdkError("ThrottlingException"), "throttled"],
    ["429", sdkError("TooManyRequests", 429), "throttled"],
    ["500 InternalError", sdkError("InternalError", 500), "server_error"],
    [
      "a refused connection",
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      "network",
    ],
    ["a request timeout", sdkError("TimeoutError"), "network"],
    ["403 AccessDenied", sdkError("AccessDenied", 403), "access_denied"],
    ["403 InvalidAccessKeyId", sdkError("InvalidAccessKeyId", 403), "credentials"],
    ["no credentials", sdkError("CredentialsProviderError"), "credentials"],
    ["404 NoSuchBucket", sdkError("NoSuchBucket", 404), "not_found"],
    ["400 InvalidArgument", sdkError("InvalidArgument", 400), "bad_request"],
    ["a thrown string", "boom", "network"],
  ];
  for (const [what, thrown, kind] of cases) {
    it(`${what} → ${kind}, systemic (never charged, never dead-lettered)`, () => {
      const failure = classifyS3Failure(thrown, request, 5);
      assert.equal(failure.kind, kind);
      assert.equal(failureScope(failure), "systemic");
      assert.match(failure.errorType, /^S3\./);
      assert.match(failure.message, /^uploading the body to s3:\/\/b\/k failed: /);
    });
  }

  it("keeps the status, and names a delete", () => {
    const failure = classifyS3Failure(sdkError("InternalError", 500), { ...request, operation: "delete" }, 1);
    assert.equal(failure.httpStatus, 500);
    assert.match(failure.message, /^deleting s3:\/\/b\/k failed/);
    assert.equal(
      classifyS3Failure(Object.assign(sdkError("X", 400), { Code: "KMS.NotFoundException" }), request, 1)
        .errorType,
      "S3.KMS.NotFoundException",
    );
  });
});
