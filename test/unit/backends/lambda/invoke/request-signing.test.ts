import assert from "node:assert/strict";
import { after, afterEach, before, describe, it, mock } from "node:test";
import type { HttpRequest } from "@smithy/types";
import { createHttpInvoker } from "../../../../../src/backends/lambda/invoke/http-invoker.js";
import { createSdkInvoker } from "../../../../../src/backends/lambda/invoke/sdk-invoker.js";
import type { Transport } from "../../../../../src/backends/lambda/invoke/transport.js";
import type { InvokerOptions } from "../../../../../src/backends/lambda/invoke/types.js";
import { startLambdaWireStub } from "./lambda-wire-stub.js";

/** Where a request goes and what of it is signed, as both paths produce it. */
interface Captured {
  protocol: string;
  hostname: string;
  port?: number | undefined;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
}

const FROZEN = Date.UTC(2026, 0, 2, 3, 4, 5);
const INVOCATION_ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
const PAYLOAD = Buffer.from('{"Records":[{"data":"aGVsbG8="}]}');
const CHUNKS = [PAYLOAD.subarray(0, 7), PAYLOAD.subarray(7, 8), PAYLOAD.subarray(8)];

const NAMES = [
  "my-function",
  "arn:aws:lambda:eu-west-1:123456789012:function:my-function",
  "arn:aws:lambda:eu-west-1:123456789012:function:my-function:prod",
  "123456789012:function:my-function",
  "my-function:prod",
  "my-function:7",
  "my-function:$LATEST",
  "My_Function.v2-blue",
  // Outside Lambda's name rules (the SDK does not validate them): the path encoding still matches.
  "a b/é!'()*~",
];

const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCWV1LXdlc3QtMSJHMEUCIQ==";
const ENV_KEYS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
  "AWS_REGION",
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_LAMBDA",
  "AWS_USE_FIPS_ENDPOINT",
  "AWS_USE_DUALSTACK_ENDPOINT",
];

/** The SDK path with a request handler that records the signed HttpRequest instead of sending it. */
async function captureSdk(options: InvokerOptions, headers?: Record<string, string>): Promise<Captured> {
  let captured: Captured | undefined;
  const requestHandler = {
    async handle(request: HttpRequest) {
      captured = { ...request, query: { ...request.query }, headers: { ...request.headers } };
      throw new Error("captured");
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
  const invoker = createSdkInvoker(options, process.env, { requestHandler });
  await invoker.invoke(CHUNKS, PAYLOAD.byteLength, headers);
  invoker.close();
  assert.ok(captured, "the SDK sent no request");
  return captured;
}

/** The http path with a transport that records the signed request instead of sending it. */
async function captureHttp(options: InvokerOptions, headers?: Record<string, string>): Promise<Captured> {
  let captured: Captured | undefined;
  const createTransport = (): Transport => ({
    async send(target, headers) {
      const { protocol, hostname, port, path } = target;
      captured = { protocol, hostname, port, path, query: {}, headers };
      return { response: { status: 200, headers: {}, body: Buffer.alloc(0) } };
    },
    close() {},
  });
  const invoker = createHttpInvoker(options, process.env, { createTransport });
  await invoker.invoke(CHUNKS, PAYLOAD.byteLength, headers);
  invoker.close();
  assert.ok(captured, "the http path sent no request");
  return captured;
}

/** The signed part of a request: every header named in SignedHeaders, and the Authorization header. */
function signedPart(request: Captured): Record<string, string | undefined> {
  const authorization = request.headers.authorization ?? "";
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(";") ?? [];
  assert.ok(signedHeaders.length > 0, `no SignedHeaders in ${authorization}`);
  const signed: Record<string, string | undefined> = { authorization };
  for (const name of signedHeaders) signed[name] = request.headers[name];
  return signed;
}

function assertSameRequest(sdk: Captured, http: Captured): void {
  // node:http wants an IPv6 host without brackets; the SDK keeps them in its HttpRequest.
  assert.equal(http.hostname, sdk.hostname.replace(/^\[(.*)\]$/, "$1"));
  assert.deepEqual(
    { protocol: http.protocol, port: http.port, path: http.path, query: http.query },
    { protocol: sdk.protocol, port: sdk.port, path: sdk.path, query: sdk.query },
  );
  assert.deepEqual(signedPart(http), signedPart(sdk));
  // user-agent is not signed; its feature list (m/...) depends on the SDK's per-request context.
  const withoutFeatures = (ua: string | undefined) => ua?.replace(/ m\/\S*/, "");
  assert.equal(withoutFeatures(http.headers["user-agent"]), withoutFeatures(sdk.headers["user-agent"]));
}

describe("the http path signs exactly what the SDK signs", () => {
  const saved = new Map(ENV_KEYS.map((key) => [key, process.env[key]]));
  before(() => {
    for (const key of ENV_KEYS) delete process.env[key];
    Object.assign(process.env, CREDENTIALS);
    mock.timers.enable({ apis: ["Date"], now: FROZEN });
    mock.method(globalThis.crypto, "randomUUID", () => INVOCATION_ID);
  });
  afterEach(() => {
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_USE_FIPS_ENDPOINT;
    delete process.env.AWS_USE_DUALSTACK_ENDPOINT;
    delete process.env.AWS_ENDPOINT_URL_LAMBDA;
  });
  after(() => {
    mock.restoreAll();
    mock.timers.reset();
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  const base: InvokerOptions = {
    functionName: "",
    region: "eu-west-1",
    timeoutMs: 1_000,
    sockets: 1,
    client: "http",
  };

  for (const functionName of NAMES) {
    for (const token of [false, true]) {
      it(`${functionName} ${token ? "with" : "without"} a session token`, async () => {
        if (token) process.env.AWS_SESSION_TOKEN = SESSION_TOKEN;
        const options = { ...base, functionName };
        const [sdk, http] = [await captureSdk(options), await captureHttp(options)];
        assertSameRequest(sdk, http);
        assert.equal(sdk.hostname, "lambda.eu-west-1.amazonaws.com");
        assert.equal(http.headers["x-amz-security-token"], token ? SESSION_TOKEN : undefined);
        assert.match(
          http.headers.authorization ?? "",
          /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260102\/eu-west-1\/lambda\/aws4_request, /,
        );
      });
    }
  }

  it("signs the trace headers as the SDK does (X-Amz-Client-Context signed, X-Amzn-Trace-Id not)", async () => {
    const trace = {
      "X-Amz-Client-Context": Buffer.from('{"custom":{"traceparent":"00-1-2-01"}}').toString("base64"),
      "X-Amzn-Trace-Id": "Root=1-6a3b1c0e-0000000000000000000000a1;Parent=00000000000000b2;Sampled=1",
    };
    const options = { ...base, functionName: "my-function" };
    const [sdk, http] = [await captureSdk(options, trace), await captureHttp(options, trace)];
    assertSameRequest(sdk, http);
    const signed = Object.keys(signedPart(http));
    assert.ok(signed.includes("x-amz-client-context"), signed.join(";"));
    assert.ok(!signed.includes("x-amzn-trace-id"), "X-Ray's header is never signed");
    const sentHeader = (request: Captured, name: string) =>
      Object.entries(request.headers).find(([key]) => key.toLowerCase() === name)?.[1];
    for (const request of [sdk, http])
      assert.equal(sentHeader(request, "x-amzn-trace-id"), trace["X-Amzn-Trace-Id"]);
  });

  const endpoints: Array<[string, Partial<InvokerOptions>, Record<string, string>, string]> = [
    ["another partition", { region: "cn-north-1" }, {}, "lambda.cn-north-1.amazonaws.com.cn"],
    [
      "FIPS and dual-stack",
      {},
      { AWS_USE_FIPS_ENDPOINT: "true", AWS_USE_DUALSTACK_ENDPOINT: "true" },
      "lambda-fips.eu-west-1.api.aws",
    ],
    ["an endpoint with a path", { endpoint: "http://localhost:3002/prefix/" }, {}, "localhost"],
    ["AWS_ENDPOINT_URL_LAMBDA on IPv6", {}, { AWS_ENDPOINT_URL_LAMBDA: "http://[::1]:3002" }, "[::1]"],
  ];
  for (const [title, overrides, env, hostname] of endpoints) {
    it(`resolves the SDK's endpoint: ${title}`, async () => {
      Object.assign(process.env, env);
      const options = { ...base, functionName: "my-function:prod", ...overrides };
      const [sdk, http] = [await captureSdk(options), await captureHttp(options)];
      assertSameRequest(sdk, http);
      assert.equal(sdk.hostname, hostname);
    });
  }

  it("puts the same request on the wire as the SDK (node:http transport against a stub)", async () => {
    process.env.AWS_SESSION_TOKEN = SESSION_TOKEN;
    const stub = await startLambdaWireStub(() => ({ status: 200, body: "{}" }));
    try {
      const options = {
        ...base,
        functionName: "arn:aws:lambda:eu-west-1:123456789012:function:f:live",
        endpoint: stub.endpoint,
      };
      for (const client of ["sdk", "http"] as const) {
        const invoker =
          client === "sdk" ? createSdkInvoker(options, process.env) : createHttpInvoker(options, process.env);
        assert.equal((await invoker.invoke(CHUNKS, PAYLOAD.byteLength)).kind, "ok");
        invoker.close();
      }
      const [sdk, http] = stub.requests;
      assert.ok(sdk && http);
      assert.equal(http.url, sdk.url);
      assert.equal(
        http.url,
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Af%3Alive/invocations",
      );
      assert.deepEqual(http.body, sdk.body);
      const wire = (r: typeof sdk): Captured => ({
        protocol: "http:",
        hostname: "",
        port: 0,
        path: r.url,
        query: {},
        headers: r.headers as Record<string, string>,
      });
      assert.deepEqual(signedPart(wire(http)), signedPart(wire(sdk)));
      assert.equal(http.headers["transfer-encoding"], undefined);
    } finally {
      await stub.close();
    }
  });
});
