import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, beforeEach, describe, it } from "node:test";
import { parseQuery } from "../../../../src/backends/http/sigv4-signer.js";
import {
  type HttpStub,
  type RecordedRequest,
  startHttpStub,
  verifySigV4,
} from "../../../helpers/http-stub.js";
import { failureOf, sendOnce, sendOne, withBackend } from "./http-backend-fixtures.js";

const CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCWV1LXdlc3QtMSJHMEUCIQ==";
const CHECK = { credentials: CREDENTIALS, region: "eu-west-1", service: "execute-api" };
const SIGV4 = { "auth/aws-sigv4": { region: "eu-west-1", service: "execute-api" } };

describe("HTTP backend: auth/aws-sigv4", () => {
  let stub: HttpStub;
  before(async () => {
    stub = await startHttpStub({ sigv4: CHECK });
  });
  beforeEach(() => {
    stub.requests.length = 0;
  });
  after(() => stub.close());

  async function signedRequest(
    credentials: typeof CREDENTIALS & { sessionToken?: string },
    entry: Record<string, unknown> = {},
  ): Promise<RecordedRequest> {
    await withBackend(
      { host: [stub.url], extra_config: { ...SIGV4, ...entry } },
      async (backend) => {
        await sendOne(backend, {
          content: '{"order":1}',
          properties: { contentType: "application/json" },
          headers: { tenant: "acme corp" },
        });
      },
      { sigv4: { credentials } },
    );
    const request = stub.requests.at(-1);
    assert.ok(request);
    return request;
  }

  it("signs over the payload and every header sent, as the SDK's signer checks it", async () => {
    const request = await signedRequest(CREDENTIALS, {
      "amqp_lambda_agent/http": { forward_headers: true, headers: { "X-Api-Key": "k-1" } },
    });
    assert.equal(request.signature, "valid");
    assert.equal(
      request.headers["x-amz-content-sha256"],
      createHash("sha256").update('{"order":1}').digest("hex"),
    );
    assert.match(
      request.headers.authorization ?? "",
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-type;host;x-amqp-exchange;x-amqp-header-tenant;x-amqp-redelivered;x-amqp-routing-key;x-amz-content-sha256;x-amz-date;x-api-key, Signature=[0-9a-f]{64}$/,
    );
  });

  it("signs a query string and a session token", async () => {
    await withBackend(
      { host: [stub.url], url_pattern: "/v1/orders?b=2&a=x%2Fy&a=0&flag", extra_config: SIGV4 },
      async (backend) => {
        assert.equal((await sendOne(backend)).outcome.kind, "succeeded");
      },
      { sigv4: { credentials: { ...CREDENTIALS, sessionToken: SESSION_TOKEN } } },
    );
    const request = stub.requests[0];
    assert.equal(request?.signature, "valid");
    assert.equal(request?.headers["x-amz-security-token"], SESSION_TOKEN);
    assert.equal(request?.url, "/v1/orders?b=2&a=x%2Fy&a=0&flag");
    assert.deepEqual(
      { ...parseQuery("b=2&a=x%2Fy&a=0&flag&plus=a+b") },
      { b: "2", a: ["x/y", "0"], flag: null, plus: "a+b" },
    );
  });

  it("is refused by the endpoint when signed with other credentials: access_denied", async () => {
    await withBackend(
      { host: [stub.url], extra_config: SIGV4 },
      async (backend) => {
        const { outcome } = await sendOne(backend);
        const { failure, scope } = failureOf(outcome);
        assert.deepEqual([failure.kind, failure.httpStatus, scope], ["access_denied", 403, "systemic"]);
      },
      { sigv4: { credentials: { ...CREDENTIALS, secretAccessKey: "not-the-secret" } } },
    );
    assert.equal(stub.requests[0]?.signature, "invalid");
  });

  it("the verifier rejects a tampered body, header, path or method, and a missing signature", async () => {
    const good = await signedRequest(CREDENTIALS);
    assert.equal(await verifySigV4(good, CHECK), true);
    const tampered: Array<[string, RecordedRequest]> = [
      ["body", { ...good, body: Buffer.from('{"order":2}') }],
      [
        "body and its hash",
        {
          ...good,
          body: Buffer.from("x"),
          headers: {
            ...good.headers,
            "x-amz-content-sha256": createHash("sha256").update("x").digest("hex"),
          },
        },
      ],
      ["a signed header", { ...good, headers: { ...good.headers, "content-type": "text/plain" } }],
      ["the path", { ...good, url: "/other" }],
      ["the method", { ...good, method: "PUT" }],
      ["the date", { ...good, headers: { ...good.headers, "x-amz-date": "20200101T000000Z" } }],
      ["no authorization", { ...good, headers: { ...good.headers, authorization: undefined } }],
    ];
    for (const [what, request] of tampered) assert.equal(await verifySigV4(request, CHECK), false, what);
    assert.equal(await verifySigV4(good, { ...CHECK, region: "us-east-1" }), false, "another region");
  });

  it("signs with dummy credentials against a loopback host when the environment has none", async () => {
    const local = await startHttpStub({
      sigv4: {
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
        region: "eu-west-1",
        service: "lambda",
      },
    });
    try {
      const { outcome } = await sendOnce(
        { host: [local.url], extra_config: { "auth/aws-sigv4": { region: "eu-west-1", service: "lambda" } } },
        {},
        { env: {} },
      );
      assert.equal(outcome.kind, "succeeded");
      assert.equal(local.requests[0]?.signature, "valid");
    } finally {
      await local.close();
    }
  });

  it("fails as credentials, without sending, when no credentials can be had", async () => {
    const credentials = async () => {
      throw Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      });
    };
    const { outcome, call } = await sendOnce(
      { host: [stub.url], extra_config: SIGV4 },
      {},
      { sigv4: { credentials } },
    );
    const { failure, scope } = failureOf(outcome);
    assert.deepEqual(
      [failure.kind, failure.errorType, scope],
      ["credentials", "CredentialsProviderError", "systemic"],
    );
    assert.equal(call.durationMs, undefined);
    assert.equal(stub.requests.length, 0);
  });
});
