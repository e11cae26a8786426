import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, beforeEach, describe, it } from "node:test";
import type { CallReport, CallTarget } from "../../../../src/backends/backend.js";
import { type HttpStub, refusedUrl, startHttpStub } from "../../../helpers/http-stub.js";
import { failureOf, httpBackend, outgoing, sendOnce, sendOne, withBackend } from "./http-backend-fixtures.js";

describe("HTTP backend against a stub server", () => {
  let stub: HttpStub;
  before(async () => {
    stub = await startHttpStub();
  });
  beforeEach(() => {
    stub.requests.length = 0;
  });
  after(() => stub.close());

  it("succeeds on 200, 201, 202 and 204, returning the response body and content type", async () => {
    await withBackend({ host: [stub.url] }, async (backend) => {
      for (const status of [200, 201, 202, 204]) {
        const body = status === 204 ? undefined : `{"status":${status}}`;
        stub.next({ status, headers: { "content-type": "application/json; charset=utf-8" }, body });
        const { outcome, call } = await sendOne(backend);
        assert.equal(outcome.kind, "succeeded", `status ${status}`);
        assert.deepEqual(outcome.kind === "succeeded" && outcome.response, {
          body: body === undefined ? undefined : Buffer.from(body),
          contentType: "application/json; charset=utf-8",
        });
        assert.equal(call.outcome, "ok");
        assert.equal(call.scope, undefined);
        assert.ok((call.durationMs ?? -1) >= 0);
      }
    });
  });

  it("classifies every status class by the table, and never follows a redirect", async () => {
    const backend = httpBackend({ host: [stub.url] });
    const expected: Array<[number, string, string]> = [
      [400, "function_error", "ambiguous"],
      [409, "function_error", "ambiguous"],
      [410, "function_error", "ambiguous"],
      [413, "function_error", "ambiguous"],
      [422, "function_error", "ambiguous"],
      [401, "access_denied", "systemic"],
      [403, "access_denied", "systemic"],
      [404, "not_found", "systemic"],
      [405, "not_found", "systemic"],
      [301, "not_found", "systemic"],
      [302, "not_found", "systemic"],
      [307, "not_found", "systemic"],
      [408, "network", "systemic"],
      [429, "throttled", "systemic"],
      [500, "server_error", "systemic"],
      [503, "server_error", "systemic"],
    ];
    try {
      for (const [status, kind, scope] of expected) {
        stub.next({ status, headers: { location: `${stub.url}/elsewhere` }, body: "nope" });
        const { outcome, call } = await sendOne(backend);
        const { failure, scope: outcomeScope } = failureOf(outcome);
        assert.deepEqual(
          {
            kind: failure.kind,
            errorType: failure.errorType,
            httpStatus: failure.httpStatus,
            scope: outcomeScope,
          },
          { kind, errorType: `HttpStatus${status}`, httpStatus: status, scope },
          `status ${status}`,
        );
        assert.deepEqual({ outcome: call.outcome, scope: call.scope }, { outcome: kind, scope });
      }
      assert.equal(stub.requests.length, expected.length, "a redirect was followed");
      assert.ok(stub.requests.every((request) => request.url === "/orders"));
    } finally {
      backend.close();
    }
  });

  it("reports Retry-After of a 429 (seconds) and a 503 (HTTP-date) as the call's retryAfterMs", async () => {
    const backend = httpBackend({ host: [stub.url] });
    try {
      stub.next({ status: 429, headers: { "retry-after": "7" } });
      assert.equal((await sendOne(backend)).call.retryAfterMs, 7000);
      stub.next({ status: 503, headers: { "retry-after": new Date(Date.now() + 60_000).toUTCString() } });
      const retryAfterMs = (await sendOne(backend)).call.retryAfterMs ?? 0;
      assert.ok(retryAfterMs > 55_000 && retryAfterMs <= 60_000, String(retryAfterMs));
      stub.next({ status: 500 });
      assert.equal((await sendOne(backend)).call.retryAfterMs, undefined);
    } finally {
      backend.close();
    }
  });

  it("fails a 2xx outside success_status as an ambiguous invalid_response, and succeeds on a listed 404", async () => {
    await withBackend(
      {
        host: [stub.url],
        extra_config: { "amqp_lambda_agent/http": { success_status: [202, 404] } },
      },
      async (backend) => {
        stub.next({ status: 200 }, { status: 404 });
        const { failure, scope } = failureOf((await sendOne(backend)).outcome);
        assert.deepEqual([failure.kind, scope], ["invalid_response", "ambiguous"]);
        assert.equal((await sendOne(backend)).outcome.kind, "succeeded");
      },
    );
  });

  it("sends the body byte for byte with the configured method and url_pattern (query included)", async () => {
    const body = Buffer.concat([randomBytes(70_000), Buffer.from([0, 0x0d, 0x0a, 0xff])]);
    for (const method of ["PUT", "GET", "DELETE"]) {
      await withBackend(
        {
          host: [stub.url],
          method,
          url_pattern: "/v1/orders/{id}?source=amqp&x=%20",
        },
        async (backend) => {
          assert.equal((await sendOne(backend, { content: body })).outcome.kind, "succeeded");
        },
      );
      const request = stub.requests.at(-1);
      assert.equal(request?.method, method);
      assert.equal(request?.url, "/v1/orders/{id}?source=amqp&x=%20");
      assert.ok(request?.body.equals(body), `${method}: the body changed on the way`);
    }
  });

  it("sends Content-Type only from the message's content_type, else the static header, never a hostile one", async () => {
    const plain = httpBackend({ host: [stub.url] });
    const withStatic = httpBackend({
      host: [stub.url],
      extra_config: {
        "amqp_lambda_agent/http": { headers: { "Content-Type": "text/plain", "X-Api-Key": "k-1" } },
      },
    });
    try {
      await sendOne(plain, { properties: { contentType: "application/xml" } });
      await sendOne(plain, {});
      await sendOne(plain, { properties: { contentType: "text/html\r\nX-Injected: 1" } });
      await sendOne(withStatic, {});
      await sendOne(withStatic, { properties: { contentType: "application/json" } });
    } finally {
      plain.close();
      withStatic.close();
    }
    const types = stub.requests.map((request) => request.headers["content-type"]);
    assert.deepEqual(types, ["application/xml", undefined, undefined, "text/plain", "application/json"]);
    assert.ok(stub.requests.every((request) => request.headers["x-injected"] === undefined));
    assert.equal(stub.requests[3]?.headers["x-api-key"], "k-1");
  });

  it("goes round robin over the hosts", async () => {
    const second = await startHttpStub();
    try {
      await withBackend({ host: [stub.url, second.url] }, async (backend) => {
        for (let i = 0; i < 4; i++) await sendOne(backend, { content: `m${i}` });
      });
      assert.deepEqual(
        stub.requests.map((r) => r.body.toString()),
        ["m0", "m2"],
      );
      assert.deepEqual(
        second.requests.map((r) => r.body.toString()),
        ["m1", "m3"],
      );
    } finally {
      await second.close();
    }
  });

  it("forwards the AMQP routing, id and headers as X-Amqp-* with no way to inject a header", async () => {
    await sendOnce(
      { host: [stub.url], extra_config: { "amqp_lambda_agent/http": { forward_headers: true } } },
      {
        routingKey: "order.created",
        redelivered: true,
        properties: { messageId: "id-1" },
        headers: { tenant: "acme\r\nX-Injected: 1", nested: { a: [1] }, "bad name": "x" },
      },
    );
    const headers = stub.requests[0]?.headers ?? {};
    assert.equal(headers["x-amqp-routing-key"], "order.created");
    assert.equal(headers["x-amqp-exchange"], "orders");
    assert.equal(headers["x-amqp-message-id"], "id-1");
    assert.equal(headers["x-amqp-redelivered"], "true");
    assert.equal(headers["x-amqp-header-tenant"], "acme%0D%0AX-Injected: 1");
    assert.equal(headers["x-amqp-header-nested"], '{"a":[1]}');
    assert.equal(headers["x-amqp-headers-dropped"], "1");
    assert.equal(headers["x-injected"], undefined);
  });

  it("adds the call's trace headers when they are plain header values; static headers win", async () => {
    const targets: CallTarget[] = [];
    const ended: Array<CallReport | undefined> = [];
    const trace = {
      startCall(target: CallTarget) {
        targets.push(target);
        return {
          headers: {
            traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "x-tenant": "from-the-pipeline",
            "x-broken": "a\r\nX-Injected: 1",
          },
          end: (report: CallReport | undefined) => ended.push(report),
        };
      },
    };
    await withBackend(
      { host: [stub.url], extra_config: { "amqp_lambda_agent/http": { headers: { "X-Tenant": "static" } } } },
      (backend) => backend.send([outgoing(), outgoing()], { trace }),
    );
    assert.deepEqual(
      targets.map((target) => target.kind === "http" && target.url),
      [`${stub.url}/orders`, `${stub.url}/orders`],
      "one call of the trace per request, to the host it goes to",
    );
    assert.deepEqual(
      ended.map((report) => report?.outcome),
      ["ok", "ok"],
    );
    const headers = stub.requests[0]?.headers ?? {};
    assert.equal(headers.traceparent, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    assert.equal(headers["x-tenant"], "static");
    assert.equal(headers["x-broken"], undefined);
    assert.equal(headers["x-injected"], undefined);
  });

  it("sends no X-Amqp-* header unless forward_headers is on", async () => {
    await withBackend({ host: [stub.url] }, async (backend) => {
      await sendOne(backend, { headers: { tenant: "acme" } });
    });
    assert.deepEqual(
      Object.keys(stub.requests[0]?.headers ?? {}).filter((name) => name.startsWith("x-amqp")),
      [],
    );
  });

  it("sends a host's user and password as Basic authorization, and masks the password in label and describe()", async () => {
    const host = stub.url.replace("http://", "http://svc:s3cr%40t-pass@");
    await withBackend(
      {
        host: [host, stub.url],
        extra_config: { "amqp_lambda_agent/http": { headers: { "X-Api-Key": "key-value-123" } } },
      },
      async (backend) => {
        await sendOne(backend);
        assert.equal(
          stub.requests[0]?.headers.authorization,
          `Basic ${Buffer.from("svc:s3cr@t-pass").toString("base64")}`,
        );
        assert.equal(
          backend.label,
          `POST ${stub.url.replace("http://", "http://svc:***@")}/orders (+1 host)`,
        );
        const line = backend.describe();
        assert.match(
          line,
          /POST http:\/\/svc:\*\*\*@127\.0\.0\.1:\d+\/orders, http:\/\/127\.0\.0\.1:\d+\/orders \(round robin\)/,
        );
        assert.match(line, /success on any 2xx status/);
        assert.match(line, /headers X-Api-Key: \*\*\*/);
        for (const secret of ["s3cr", "key-value-123"])
          assert.ok(!line.includes(secret) && !backend.label.includes(secret));
      },
    );
  });

  it("fails a refused connection as a systemic network failure", async () => {
    await withBackend({ host: [await refusedUrl()] }, async (backend) => {
      const { outcome, call } = await sendOne(backend);
      const { failure, scope } = failureOf(outcome);
      assert.deepEqual([failure.kind, failure.errorType, scope], ["network", "ECONNREFUSED", "systemic"]);
      assert.equal(call.outcome, "network");
    });
  });

  it("fails a reset connection as network, and a hung request at its timeout", async () => {
    await withBackend(
      {
        host: [stub.url],
        extra_config: { "amqp_lambda_agent/http": { timeout: "300ms" } },
      },
      async (backend) => {
        stub.next({ reset: true }, { hang: true });
        const reset = failureOf((await sendOne(backend)).outcome);
        assert.deepEqual([reset.failure.kind, reset.failure.errorType], ["network", "ECONNRESET"]);
        const started = performance.now();
        const { outcome, call } = await sendOne(backend);
        const hung = failureOf(outcome);
        assert.deepEqual([hung.failure.kind, hung.failure.errorType], ["network", "HttpTimeout"]);
        assert.equal(hung.scope, "systemic", "a timeout is the platform's (issue 19): never charged");
        assert.ok((call.durationMs ?? 0) >= 290, `timed out after ${call.durationMs} ms`);
        assert.ok(performance.now() - started < 5_000);
      },
    );
  });

  it("sends each message of a batch as its own request and reports the batch's call by its worst failure", async () => {
    const backend = httpBackend({ host: [stub.url] }, { batchSize: 3 });
    assert.equal(backend.batchSize, 3);
    const batch = [outgoing({ content: "a" }), outgoing({ content: "b" }), outgoing({ content: "c" })];
    stub.next({ status: 400 }, { status: 429, headers: { "retry-after": "2" } }, { status: 200 });
    try {
      const report = await backend.send(batch);
      assert.equal(stub.requests.length, 3);
      assert.deepEqual(
        batch.map((m) => report.results.get(m.id)?.kind),
        batch.map((m) => {
          const index = stub.requests.findIndex((r) => r.body.toString() === m.message.content.toString());
          return index === 2 ? "succeeded" : "failed";
        }),
      );
      assert.deepEqual(
        [report.call?.outcome, report.call?.scope, report.call?.retryAfterMs],
        ["throttled", "systemic", 2000],
      );
    } finally {
      backend.close();
    }
  });

  it("close() ends the requests in flight and fails later ones as BackendClosed", async () => {
    const backend = httpBackend({ host: [stub.url] });
    stub.next({ hang: true });
    const inFlight = sendOne(backend);
    await stub.received(1);
    backend.close();
    const { failure } = failureOf((await inFlight).outcome);
    assert.deepEqual([failure.kind, failure.errorType], ["network", "BackendClosed"]);
    const later = failureOf((await sendOne(backend)).outcome);
    assert.equal(later.failure.errorType, "BackendClosed");
    assert.equal(stub.requests.length, 1);
  });

  it("describes its contract: one message per request unless told, no batch limit, a message's size is its body", () => {
    const backend = httpBackend({
      host: [stub.url],
      extra_config: { "amqp_lambda_agent/http": { max_retries: 4 } },
    });
    try {
      assert.equal(backend.batchSize, 1);
      assert.equal(backend.batchWindowMs, 0);
      assert.equal(backend.maxRetries, 4);
      assert.equal(backend.sizeOf(outgoing({ content: "12345" })), 5);
    } finally {
      backend.close();
    }
  });
});
