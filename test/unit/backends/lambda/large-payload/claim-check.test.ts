import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, beforeEach, describe, it } from "node:test";
import { s3ClientConfig } from "../../../../../src/backends/aws/s3-client-config.js";
import { eventEnvelope } from "../../../../../src/backends/lambda/event-bytes.js";
import type { InvokeOutcome, Invoker } from "../../../../../src/backends/lambda/invoke/index.js";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../../../src/backends/lambda/invoke/index.js";
import { createLambdaBackend } from "../../../../../src/backends/lambda/lambda-backend.js";
import type { Orphan } from "../../../../../src/backends/lambda/large-payload/large-payload.js";
import { createS3PayloadStore } from "../../../../../src/backends/lambda/large-payload/s3-payload-store.js";
import type { EventFormat, LargePayloadSettings } from "../../../../../src/config/types.js";
import { s3PointerJson } from "../../../../../src/shared/s3-pointer.js";
import { S3Server } from "../../../../helpers/s3-server.js";
import { heldMessage } from "../../../pipeline/fakes.js";

const envelope = eventEnvelope({ queue: "orders", vhost: "/", sourceArn: "amqp://127.0.0.1:5672/" });
const s3 = new S3Server();
before(() => s3.start());
after(() => s3.stop());
beforeEach(() => {
  s3.objects.clear();
  s3.requests.length = 0;
  s3.faults.clear();
});

interface RmqRecord {
  basicProperties: { headers: Record<string, unknown> | null; bodySize: number; contentType: string | null };
  data: string;
  routingKey: string;
}

/** A Lambda backend with `large_payload` on the test S3 server, and an invoker that keeps each payload. */
function claimCheck(settings: Partial<LargePayloadSettings> = {}, eventFormat: EventFormat = "rmq") {
  const payloads: Buffer[] = [];
  const orphans: Orphan[] = [];
  const script = { answer: { kind: "ok", payload: undefined, durationMs: 3 } as InvokeOutcome };
  const invoker: Invoker = {
    async invoke(chunks) {
      payloads.push(Buffer.concat(chunks.map((chunk) => Buffer.from(chunk))));
      return script.answer;
    },
    close: () => {},
  };
  const largePayload: LargePayloadSettings = {
    bucket: "bodies",
    keyPrefix: "agent/",
    threshold: undefined,
    always: false,
    region: undefined,
    endpoint: s3.endpoint,
    forcePathStyle: false,
    cleanup: "after_ack",
    sse: undefined,
    kmsKeyId: undefined,
    ...settings,
  };
  const backend = createLambdaBackend({
    functionName: "orders-fn",
    region: "eu-west-1",
    endpoint: undefined,
    client: "http",
    eventFormat,
    batchSize: 10,
    batchWindowMs: 0,
    maxRetries: 2,
    timeoutMs: 1_000,
    sockets: 1,
    envelope,
    invoker,
    largePayload,
    env: {},
    onOrphan: (orphan) => orphans.push(orphan),
  });
  const records = (at = -1): RmqRecord[] => {
    const event = JSON.parse((payloads.at(at) as Buffer).toString("utf8"));
    return Object.values(event.rmqMessagesByQueue as Record<string, RmqRecord[]>).flat();
  };
  return { backend, payloads, orphans, script, records };
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const body = (bytes: number, fill = "a") => Buffer.alloc(bytes, fill);

describe("large_payload: the claim check in the Lambda backend (a real S3 API on loopback)", () => {
  it("a body over the threshold goes to S3; the record carries the pointer and ExtendedPayloadSize, nothing else changes", async () => {
    const { backend, records } = claimCheck({ threshold: 1000 });
    const big = heldMessage({ content: body(5000, "b"), headers: { tenant: "t1" } });
    const small = heldMessage({ content: body(200, "s") });
    const report = await backend.send([big, small]);
    assert.deepEqual(
      [...report.results.values()].map((r) => r.kind),
      ["succeeded", "succeeded"],
    );
    assert.equal(s3.count("PUT"), 1, "one upload: the small body stays in the event");
    const [key] = s3.keys("bodies");
    assert.match(key ?? "", /^agent\/[0-9a-f-]{36}$/);
    assert.equal(sha(s3.objects.get(`bodies/${key}`) as Buffer), sha(body(5000, "b")), "the exact bytes");
    const [bigRecord, smallRecord] = records();
    assert.equal(
      Buffer.from(bigRecord?.data ?? "", "base64").toString(),
      s3PointerJson({ bucket: "bodies", key: key as string }),
    );
    assert.equal(bigRecord?.basicProperties.headers?.ExtendedPayloadSize, 5000, "a number header");
    assert.deepEqual(bigRecord?.basicProperties.headers?.tenant, { bytes: [...Buffer.from("t1")] });
    assert.equal(bigRecord?.basicProperties.bodySize, 5000);
    assert.equal(Buffer.from(smallRecord?.data ?? "", "base64").toString(), "s".repeat(200));
    assert.equal(smallRecord?.basicProperties.headers, null, "no header added to a body sent as it is");
    assert.equal(big.message.content.byteLength, 5000, "the message keeps its body (dead letters carry it)");
    assert.ok(s3.requests[0]?.headers["content-length"] === "5000", "a plain body of its length");
    assert.equal(s3.requests[0]?.headers["content-encoding"], undefined, "no aws-chunked encoding");
  });

  it("one upload per delivery: retries reuse it; released → deleted once; a new delivery uploads again", async () => {
    const { backend, script } = claimCheck({ threshold: 1000 });
    const big = heldMessage({ content: body(4000) });
    script.answer = {
      kind: "function_error",
      errorType: "Error",
      message: "m",
      durationMs: 1,
    } as InvokeOutcome;
    await backend.send([big]);
    script.answer = { kind: "ok", payload: undefined, durationMs: 1 };
    await backend.send([big]);
    assert.equal(s3.count("PUT"), 1);
    assert.equal(s3.keys("bodies").length, 1);
    backend.released?.(big);
    backend.released?.(big);
    await backend.close();
    assert.equal(s3.count("DELETE"), 1);
    assert.deepEqual(s3.keys("bodies"), [], "0 objects left");
  });

  it("cleanup never: the object stays for the lifecycle rule", async () => {
    const { backend } = claimCheck({ threshold: 10, cleanup: "never" });
    const big = heldMessage({ content: body(4000) });
    await backend.send([big]);
    backend.released?.(big);
    await backend.close();
    assert.equal(s3.count("DELETE"), 0);
    assert.equal(s3.keys("bodies").length, 1);
  });

  it("a delete that keeps failing is tried 4 times, then counted as an orphan", async () => {
    const { backend, orphans } = claimCheck({ threshold: 10 });
    const big = heldMessage({ content: body(4000) });
    await backend.send([big]);
    const fault = { status: 500, code: "InternalError" };
    s3.failNext("DELETE", fault, fault, fault, fault);
    backend.released?.(big);
    await backend.close();
    assert.equal(s3.count("DELETE"), 4);
    assert.equal(orphans.length, 1);
    assert.equal(orphans[0]?.bucket, "bodies");
    assert.equal(orphans[0]?.failure.kind, "server_error");
  });

  it("a delete that fails twice then works is no orphan", async () => {
    const { backend, orphans } = claimCheck({ threshold: 10 });
    const big = heldMessage({ content: body(4000) });
    await backend.send([big]);
    s3.failNext("DELETE", { status: 503, code: "SlowDown" }, { status: 500, code: "InternalError" });
    backend.released?.(big);
    await backend.close();
    assert.deepEqual([s3.count("DELETE"), orphans.length, s3.keys("bodies").length], [3, 0, 0]);
  });

  it("an upload that fails: no call, every message failed as the platform's, the call report feeds the breaker", async () => {
    const { backend, payloads } = claimCheck({ threshold: 1000 });
    s3.failNext("PUT", { status: 403, code: "AccessDenied" });
    const big = heldMessage({ content: body(4000) });
    const small = heldMessage({ content: body(10) });
    const report = await backend.send([big, small]);
    assert.equal(payloads.length, 0, "Lambda not called");
    for (const held of [big, small]) {
      const outcome = report.results.get(held.id);
      assert.equal(outcome?.kind === "failed" && outcome.scope, "systemic");
      assert.equal(outcome?.kind === "failed" && outcome.failure.kind, "access_denied");
    }
    assert.equal(report.call?.scope, "systemic");
    assert.equal(report.call?.outcome, "access_denied");
    assert.equal(report.call?.reason, "S3.AccessDenied");
  });

  it("the S3 server down: network, systemic; once it is back the same message goes", async () => {
    const { backend } = claimCheck({ threshold: 1000 });
    const big = heldMessage({ content: body(4000) });
    await s3.stop();
    try {
      const report = await backend.send([big]);
      const outcome = report.results.get(big.id);
      assert.equal(outcome?.kind === "failed" && outcome.failure.kind, "network");
    } finally {
      await s3.start();
    }
    const report = await backend.send([big]);
    assert.equal(report.results.get(big.id)?.kind, "succeeded");
    assert.equal(s3.keys("bodies").length, 1);
  });

  it("default threshold: only a body whose record would not fit one invocation", async () => {
    const { backend, records } = claimCheck();
    const fits = heldMessage({ content: body(4_000_000) });
    const tooLarge = heldMessage({ content: body(4_800_000) });
    await backend.send([fits]);
    assert.equal(s3.count("PUT"), 0);
    await backend.send([tooLarge]);
    assert.equal(s3.count("PUT"), 1);
    assert.equal(records().length, 1);
    // The exact limit: a record of 6,291,456 bytes with the envelope fits; one byte more does not.
    const limit = MAX_SYNC_PAYLOAD_BYTES - envelope.head.byteLength - envelope.tail.byteLength;
    // The record of an empty body, plus 6 digits more of bodySize ("0" → "4718…").
    const overhead = backend.sizeOf(heldMessage({ content: body(0) })) - 1 + 6;
    const largest = Math.floor((limit - overhead) / 4) * 3;
    s3.requests.length = 0;
    await backend.send([heldMessage({ content: body(largest) })]);
    assert.equal(s3.count("PUT"), 0, `a body of ${largest} bytes fits`);
    await backend.send([heldMessage({ content: body(largest + 1) })]);
    assert.equal(s3.count("PUT"), 1, `a body of ${largest + 1} bytes does not`);
  });

  it("a batch over 6 MB keeps its size: the largest bodies go first, only as many as needed", async () => {
    const { backend, records } = claimCheck();
    const batch = [1, 2, 1.5, 0.5, 2.5].map((mb) => heldMessage({ content: body(mb * 1_000_000) }));
    for (const held of batch)
      assert.ok(backend.sizeOf(held) < 1000, "sized as a pointer: the batch is not cut");
    const report = await backend.send(batch);
    assert.equal([...report.results.values()].filter((r) => r.kind === "succeeded").length, 5);
    const sizes = records().map((r) => r.basicProperties.headers?.ExtendedPayloadSize ?? null);
    // 7.5 MB of bodies is 10 MB of base64: 2.5 MB and 2 MB go, 1 + 1.5 + 0.5 MB (4 MB encoded) stay.
    assert.deepEqual(sizes, [null, 2_000_000, null, null, 2_500_000]);
  });

  it("always: every body goes, but a publisher's own pointer passes through untouched", async () => {
    const { backend, records } = claimCheck({ always: true });
    const pointer = '["com.amazon.sqs.javamessaging.MessageS3Pointer",{"s3BucketName":"theirs","s3Key":"k"}]';
    const own = heldMessage({ content: Buffer.from(pointer) });
    const tiny = heldMessage({ content: Buffer.from("{}") });
    await backend.send([own, tiny]);
    assert.equal(s3.count("PUT"), 1);
    const [ownRecord, tinyRecord] = records();
    assert.equal(Buffer.from(ownRecord?.data ?? "", "base64").toString(), pointer);
    assert.equal(ownRecord?.basicProperties.headers, null);
    assert.equal(tinyRecord?.basicProperties.headers?.ExtendedPayloadSize, 2);
  });

  it('event_format "body": the payload is the pointer array itself', async () => {
    const { backend, payloads } = claimCheck({ threshold: 100 }, "body");
    const big = heldMessage({ content: Buffer.from(JSON.stringify({ text: "x".repeat(500) })) });
    await backend.send([big]);
    const [key] = s3.keys("bodies");
    assert.equal(payloads[0]?.toString(), s3PointerJson({ bucket: "bodies", key: key as string }));
    const notJson = heldMessage({ content: body(500) });
    const report = await backend.send([notJson]);
    const outcome = report.results.get(notJson.id);
    assert.equal(
      outcome?.kind === "failed" && outcome.failure.kind,
      "bad_message",
      "checked before any upload",
    );
    assert.equal(s3.count("PUT"), 1);
  });

  it("headers the event cannot carry: the message's own failure, nothing uploaded", async () => {
    const { backend } = claimCheck({ threshold: 10 });
    const bad = heldMessage({
      content: body(400),
      headers: { f: () => 1 } as unknown as Record<string, unknown>,
    });
    const report = await backend.send([bad]);
    const outcome = report.results.get(bad.id);
    assert.equal(outcome?.kind === "failed" && outcome.scope, "message");
    assert.equal(s3.count("PUT"), 0);
  });

  it("server-side encryption settings go with the upload", async () => {
    const { backend } = claimCheck({ threshold: 10, sse: "aws:kms", kmsKeyId: "alias/bodies" });
    await backend.send([heldMessage({ content: body(400) })]);
    assert.equal(s3.requests[0]?.headers["x-amz-server-side-encryption"], "aws:kms");
    assert.equal(s3.requests[0]?.headers["x-amz-server-side-encryption-aws-kms-key-id"], "alias/bodies");
  });
});

describe("s3ClientConfig: right for AWS and for local S3-compatible servers", () => {
  it("checksums only when required, no SDK retries, path style as asked", () => {
    const config = s3ClientConfig({ region: "eu-west-1", endpoint: undefined, forcePathStyle: false }, {});
    assert.deepEqual(config, {
      maxAttempts: 1,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      forcePathStyle: false,
      region: "eu-west-1",
    });
  });

  it("a loopback endpoint: path style, us-east-1 and dummy credentials unless the environment has its own", () => {
    const local = s3ClientConfig(
      { region: undefined, endpoint: "http://127.0.0.1:9000", forcePathStyle: false },
      {},
    );
    assert.equal(local.forcePathStyle, true);
    assert.equal(local.region, "us-east-1");
    assert.deepEqual(local.credentials, { accessKeyId: "local", secretAccessKey: "local" });
    const env = { AWS_ACCESS_KEY_ID: "AKIA", AWS_REGION: "eu-west-3" };
    const configured = s3ClientConfig(
      { region: undefined, endpoint: "http://localhost:9000", forcePathStyle: false },
      env,
    );
    assert.equal(configured.credentials, undefined);
    assert.equal(configured.region, undefined);
    const viaEnv = s3ClientConfig(
      { region: "r", endpoint: undefined, forcePathStyle: false },
      { AWS_ENDPOINT_URL_S3: "http://[::1]:9000" },
    );
    assert.equal(viaEnv.forcePathStyle, true);
    const remote = s3ClientConfig(
      { region: "r", endpoint: "https://s3.example.com", forcePathStyle: true },
      {},
    );
    assert.equal(remote.credentials, undefined);
    assert.equal(remote.forcePathStyle, true);
  });

  it("the store: put and remove on the bucket; closed before use, closed after use", async () => {
    const settings: LargePayloadSettings = {
      bucket: "direct",
      keyPrefix: "",
      threshold: undefined,
      always: false,
      region: undefined,
      endpoint: s3.endpoint,
      forcePathStyle: false,
      cleanup: "after_ack",
      sse: undefined,
      kmsKeyId: undefined,
    };
    const store = createS3PayloadStore({
      settings,
      lambdaRegion: "eu-west-1",
      requestTimeoutMs: 5000,
      env: {},
    });
    await store.put("a/b c", Buffer.from("hello"));
    assert.equal(s3.objects.get("direct/a/b c")?.toString(), "hello");
    await store.remove("a/b c");
    assert.equal(s3.objects.size, 0);
    store.close();
    createS3PayloadStore({ settings, lambdaRegion: undefined, requestTimeoutMs: 5000, env: {} }).close();
  });
});
