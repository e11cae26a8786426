import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseByteSize } from "../../../src/config/byte-size.js";
import { resolveConfig } from "../../../src/config/index.js";
import { describeConfig } from "../../../src/describe-config.js";
import { seedAgent } from "./fixtures.js";

const AT = 'async_agent[0].backend[0].extra_config["backend/lambda"].large_payload';

function largePayload(value: unknown) {
  return resolveConfig({ async_agent: [seedAgent({ lambda: { large_payload: value } })] }).agents[0]?.lambda
    ?.largePayload;
}

describe("parseByteSize", () => {
  it("bytes, KB/MB ×1,000, KiB/MiB ×1,024, any case", () => {
    assert.equal(parseByteSize(1234), 1234);
    assert.equal(parseByteSize("1234"), 1234);
    assert.equal(parseByteSize("256KB"), 256_000);
    assert.equal(parseByteSize("5MB"), 5_000_000);
    assert.equal(parseByteSize("1GB"), 1_000_000_000);
    assert.equal(parseByteSize("256KiB"), 262_144);
    assert.equal(parseByteSize("5MiB"), 5_242_880);
    assert.equal(parseByteSize("1GiB"), 1_073_741_824);
    assert.equal(parseByteSize("8 mib"), 8_388_608);
    assert.equal(parseByteSize("100b"), 100);
    assert.equal(parseByteSize("1.5MB"), 1_500_000);
    assert.equal(parseByteSize("0.5KiB"), 512);
  });

  it("anything else: undefined", () => {
    for (const bad of ["", "MB", "5 TB", "-1", "1.5", "0.3KB1", "5MBs", -3, 1.5, Number.NaN, true, null]) {
      assert.equal(parseByteSize(bad), undefined, String(bad));
    }
  });
});

describe("backend/lambda.large_payload", () => {
  it("defaults: key prefix, threshold from the invocation limit, after_ack cleanup, nothing forced", () => {
    assert.deepEqual(largePayload({ bucket: "bodies" }), {
      bucket: "bodies",
      keyPrefix: "amqp-lambda-agent/",
      threshold: undefined,
      always: false,
      region: undefined,
      endpoint: undefined,
      forcePathStyle: false,
      cleanup: "after_ack",
      sse: undefined,
      kmsKeyId: undefined,
    });
    assert.equal(resolveConfig({ async_agent: [seedAgent()] }).agents[0]?.lambda?.largePayload, undefined);
  });

  it("every field as written", () => {
    assert.deepEqual(
      largePayload({
        bucket: "b",
        key_prefix: "p/",
        threshold: "256KiB",
        always: true,
        region: "eu-west-1",
        endpoint: "http://127.0.0.1:9000",
        force_path_style: true,
        cleanup: "never",
        sse: "aws:kms",
        kms_key_id: "alias/bodies",
      }),
      {
        bucket: "b",
        keyPrefix: "p/",
        threshold: 262_144,
        always: true,
        region: "eu-west-1",
        endpoint: "http://127.0.0.1:9000",
        forcePathStyle: true,
        cleanup: "never",
        sse: "aws:kms",
        kmsKeyId: "alias/bodies",
      },
    );
    assert.equal(largePayload({ bucket: "b", threshold: 1000 })?.threshold, 1000);
    assert.equal(largePayload({ bucket: "b", threshold: "1MB" })?.threshold, 1_000_000);
  });

  const refusals: Array<[string, unknown, RegExp]> = [
    ["no bucket", {}, /\.large_payload\.bucket: /],
    ["an empty bucket", { bucket: "" }, /\.large_payload\.bucket: must not be empty/],
    [
      "a threshold that is no size",
      { bucket: "b", threshold: "big" },
      /\.large_payload\.threshold: expected a size/,
    ],
    ["a threshold of 0", { bucket: "b", threshold: 0 }, /\.large_payload\.threshold: expected a size/],
    [
      "an unknown cleanup",
      { bucket: "b", cleanup: "later" },
      /\.large_payload\.cleanup: expected one of "after_ack", "never"/,
    ],
    [
      "an unknown sse",
      { bucket: "b", sse: "des" },
      /\.large_payload\.sse: expected one of "AES256", "aws:kms"/,
    ],
    [
      "a KMS key without aws:kms",
      { bucket: "b", kms_key_id: "k" },
      /\.large_payload\.kms_key_id: a KMS key needs "sse": "aws:kms"/,
    ],
    [
      "an endpoint that is no URL",
      { bucket: "b", endpoint: "here" },
      /\.large_payload\.endpoint: expected a URL/,
    ],
    ["an unknown field", { bucket: "b", treshold: "1MB" }, /\.large_payload.*treshold/],
    ["not an object", "bodies", /\.large_payload: /],
  ];
  for (const [what, value, message] of refusals) {
    it(`refuses ${what}, naming the field`, () => {
      assert.throws(
        () => largePayload(value),
        (error: Error) => {
          assert.ok(error.message.includes(AT), error.message);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }
});

describe("validate's description of large_payload", () => {
  const described = (value: unknown) =>
    describeConfig(resolveConfig({ async_agent: [seedAgent({ lambda: { large_payload: value } })] }));

  it("says which bodies go where, and what becomes of them", () => {
    assert.match(
      described({ bucket: "b" }),
      /large body {2}bodies that do not fit one invocation to s3:\/\/b\/amqp-lambda-agent\/… \(deleted once settled\)/,
    );
    assert.match(
      described({ bucket: "b", threshold: "1KiB", key_prefix: "p/" }),
      /bodies over 1024 bytes to s3:\/\/b\/p\//,
    );
    assert.match(
      described({ bucket: "b", always: true, cleanup: "never" }),
      /every body to s3:\/\/b\/.*left to the bucket's lifecycle rule/,
    );
    assert.doesNotMatch(describeConfig(resolveConfig({ async_agent: [seedAgent()] })), /large body/);
  });
});
