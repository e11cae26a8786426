import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Invoker } from "../../../../../src/backends/lambda/invoke/index.js";
import { INVOKE_PATHS } from "./invoke-paths.js";
import { type LambdaWireStub, startLambdaWireStub } from "./lambda-wire-stub.js";

const CLIENT_CONTEXT = Buffer.from(
  JSON.stringify({ custom: { traceparent: "00-6a3b1c0e0000000000000000000000a1-00000000000000b2-01" } }),
).toString("base64");
const TRACE_HEADERS = {
  "X-Amz-Client-Context": CLIENT_CONTEXT,
  "X-Amzn-Trace-Id": "Root=1-6a3b1c0e-0000000000000000000000a1;Parent=00000000000000b2;Sampled=1",
};
const REQUEST_ID = "4b2d6a1e-0000-4000-8000-000000000000";

/** The header names an Authorization header says were signed. */
function signedHeaders(authorization: string | undefined): string[] {
  const match = /SignedHeaders=([^,]+)/.exec(authorization ?? "");
  return match?.[1]?.split(";") ?? [];
}

describe("every invoke path sends the trace headers it is given, signed, and reads the request id", () => {
  let stub: LambdaWireStub;
  const invokers = new Map<string, Invoker>();

  before(async () => {
    stub = await startLambdaWireStub((request) =>
      request.body.toString() === '{"fail":true}'
        ? { status: 200, headers: { "x-amz-function-error": "Unhandled" }, body: '{"errorType":"Error"}' }
        : { status: 200, body: "{}" },
    );
    for (const { name, create } of INVOKE_PATHS)
      invokers.set(
        name,
        create({ functionName: "fn", endpoint: stub.endpoint, timeoutMs: 5000, sockets: 2 }),
      );
  });
  after(async () => {
    for (const invoker of invokers.values()) invoker.close();
    await stub.close();
  });

  for (const { name } of INVOKE_PATHS) {
    it(`X-Amz-Client-Context and X-Amzn-Trace-Id reach the wire; the client context is signed (${name})`, async () => {
      const body = Buffer.from(`{"path":"${name}"}`);
      const outcome = await (invokers.get(name) as Invoker).invoke([body], body.byteLength, TRACE_HEADERS);
      assert.equal(outcome.kind, "ok", JSON.stringify(outcome));
      assert.equal(outcome.requestId, REQUEST_ID);
      const request = stub.requests.find((r) => r.body.equals(body));
      assert.ok(request);
      assert.equal(request.headers["x-amz-client-context"], CLIENT_CONTEXT);
      assert.equal(request.headers["x-amzn-trace-id"], TRACE_HEADERS["X-Amzn-Trace-Id"]);
      const signed = signedHeaders(request.headers.authorization);
      assert.ok(signed.includes("x-amz-client-context"), `signed: ${signed.join(";")}`);
    });

    it(`without trace headers none is sent (${name})`, async () => {
      const body = Buffer.from(`{"path":"${name}","plain":true}`);
      await (invokers.get(name) as Invoker).invoke([body], body.byteLength);
      const request = stub.requests.find((r) => r.body.equals(body));
      assert.ok(request);
      assert.equal(request.headers["x-amz-client-context"], undefined);
      assert.equal(request.headers["x-amzn-trace-id"], undefined);
    });

    it(`a function error carries the request id too (${name})`, async () => {
      const body = Buffer.from('{"fail":true}');
      const outcome = await (invokers.get(name) as Invoker).invoke([body], body.byteLength, TRACE_HEADERS);
      assert.equal(outcome.kind, "function_error");
      assert.equal(outcome.requestId, REQUEST_ID);
    });
  }
});
