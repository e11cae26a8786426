import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { substituteEnv } from "../../../src/config/env-placeholders.js";
import { type HttpBackendContext, resolveHttpBackend } from "../../../src/config/resolve-http-backend.js";
import { ConfigError } from "../../../src/errors.js";

const AT = "async_agent[0].backend[1]";
const HTTP = `${AT}.extra_config["amqp_lambda_agent/http"]`;
const CONTEXT: HttpBackendContext = { rootHosts: [], consumerTimeoutMs: 2500 };

function entry(
  overrides: Record<string, unknown> = {},
  http?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    host: ["http://api.internal:8080"],
    url_pattern: "/orders",
    ...(http ? { extra_config: { "amqp_lambda_agent/http": http } } : {}),
    ...overrides,
  };
}

const resolve = (raw: unknown, context: Partial<HttpBackendContext> = {}) =>
  resolveHttpBackend(raw, AT, { ...CONTEXT, ...context });

function errorOf(raw: unknown, context: Partial<HttpBackendContext> = {}): ConfigError {
  try {
    resolve(raw, context);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the backend to be rejected");
}

describe("resolveHttpBackend: defaults", () => {
  it("defaults every field of a minimal entry, as KrakenD does where KrakenD has a default", () => {
    const { config, notes, warnings, secrets } = resolve({
      host: ["http://api.internal:8080/"],
      url_pattern: "/orders",
    });
    assert.deepEqual(config, {
      at: AT,
      method: "GET",
      hosts: ["http://api.internal:8080"],
      urlPattern: "/orders",
      encoding: undefined,
      successStatus: { kind: "2xx" },
      maxRetries: 2,
      timeoutMs: 2500,
      forwardHeaders: false,
      headers: {},
      filterPatterns: undefined,
      caFile: undefined,
      sigv4: undefined,
      rateLimit: undefined,
    });
    assert.deepEqual({ notes, warnings, secrets }, { notes: [], warnings: [], secrets: [] });
  });

  it("reads every field it supports", () => {
    const { config } = resolve(
      entry(
        {
          method: "post",
          extra_config: {
            "amqp_lambda_agent/http": {
              success_status: [200, 202, 200],
              max_retries: 0,
              timeout: "750ms",
              forward_headers: true,
              headers: { "X-Api-Key": "k-123456" },
              filter_patterns: [{ data: { type: ["order"] } }],
              tls: { ca_file: "/etc/ssl/internal-ca.pem" },
            },
            "auth/aws-sigv4": { region: "eu-west-1", service: "execute-api" },
            "qos/ratelimit/proxy": { max_rate: 5, capacity: 10, every: "1m" },
          },
        },
        undefined,
      ),
    );
    assert.deepEqual(
      { ...config, hosts: [...config.hosts] },
      {
        at: AT,
        method: "POST",
        hosts: ["http://api.internal:8080"],
        urlPattern: "/orders",
        encoding: undefined,
        successStatus: { kind: "codes", codes: [200, 202] },
        maxRetries: 0,
        timeoutMs: 750,
        forwardHeaders: true,
        headers: { "X-Api-Key": "k-123456" },
        filterPatterns: [{ data: { type: ["order"] } }],
        caFile: "/etc/ssl/internal-ca.pem",
        sigv4: { region: "eu-west-1", service: "execute-api" },
        rateLimit: { maxRate: 5, capacity: 10, everyMs: 60_000 },
      },
    );
  });

  it("takes the file's root host list when the entry has none or an empty one, sanitized as KrakenD does", () => {
    const rootHosts = ["a.internal:8080", "https://b.internal/"];
    for (const raw of [{ url_pattern: "/x" }, { url_pattern: "/x", host: [] }]) {
      assert.deepEqual(resolve(raw, { rootHosts }).config.hosts, [
        "http://a.internal:8080",
        "https://b.internal",
      ]);
    }
    const error = errorOf({ url_pattern: "/x" }, { rootHosts: ["ftp://files"] });
    assert.equal(error.path, "host[0]");
  });

  it("keeps a host's path prefix, and appends url_pattern to it verbatim", () => {
    const { config } = resolve(
      entry({ host: ["https://gw.example.com/prod/"], url_pattern: "/orders/{id}?x=1" }),
    );
    assert.deepEqual(config.hosts, ["https://gw.example.com/prod"]);
    assert.equal(config.urlPattern, "/orders/{id}?x=1");
  });

  it("turns a rate limit of 0 or less into no limit, and defaults capacity 1 every 1s", () => {
    assert.equal(
      resolve(entry({ extra_config: { "qos/ratelimit/proxy": { max_rate: 0 } } })).config.rateLimit,
      undefined,
    );
    assert.deepEqual(
      resolve(entry({ extra_config: { "qos/ratelimit/proxy": { max_rate: 0.5 } } })).config.rateLimit,
      {
        maxRate: 0.5,
        capacity: 1,
        everyMs: 1000,
      },
    );
  });

  it("lists every static header value and host password as secrets", () => {
    const raw = substituteEnv(
      entry(
        { host: ["https://svc:p%40ss%2Fword@a.internal", "https://b.internal"] },
        { headers: { "X-Token": '{{ env "TOKEN" }}', "X-Tenant": "acme-corp" } },
      ),
      { TOKEN: "tok-from-env-123" },
    );
    const { secrets, config } = resolve(raw);
    assert.equal(config.headers["X-Token"], "tok-from-env-123");
    assert.deepEqual(secrets.sort(), ["acme-corp", "p%40ss%2Fword", "p@ss/word", "tok-from-env-123"].sort());
  });
});

describe("resolveHttpBackend: notes and warnings", () => {
  it("reports KrakenD's response-shaping fields as ignored, in one note", () => {
    const { notes, warnings } = resolve(
      entry({
        group: "g",
        target: "data",
        allow: ["a"],
        deny: ["b"],
        mapping: { a: "b" },
        is_collection: true,
        encoding: "JSON",
        extra_config: { proxy: { flatmap_filter: [{ type: "del", args: ["x"] }] } },
      }),
    );
    assert.equal(notes.length, 1);
    for (const field of [
      "group",
      "target",
      "allow",
      "deny",
      "mapping",
      "is_collection",
      "flatmap_filter",
      'encoding "json"',
    ]) {
      assert.ok(notes[0]?.includes(field), `${field} missing from ${notes[0]}`);
    }
    assert.ok(notes[0]?.startsWith(`${AT}: accepted and ignored`));
    assert.deepEqual(warnings, []);
  });

  it("notes sigv4's debug and a lone sts_region, and backend/http's return_error_code", () => {
    const { notes } = resolve(
      entry({
        extra_config: {
          "auth/aws-sigv4": { region: "eu-west-1", service: "lambda", debug: true, sts_region: "us-east-1" },
          "backend/http": { return_error_code: true },
        },
      }),
    );
    assert.equal(notes.length, 1);
    assert.match(notes[0] ?? "", /return_error_code.*debug.*sts_region/);
  });

  it('warns, quoting the field and its value, that encoding "no-op" acked failures in KrakenD', () => {
    const { warnings, config } = resolve(entry({ encoding: "no-op" }));
    assert.equal(config.encoding, "no-op");
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0] ?? "",
      /^async_agent\[0\]\.backend\[1\]: encoding: "no-op": KrakenD would have acked/,
    );
    assert.match(warnings[0] ?? "", /this agent acks a message only on success \(any 2xx status\)/);
  });

  it("warns about return_error_details with its value, once per backend with no-op too", () => {
    const only = resolve(entry({ extra_config: { "backend/http": { return_error_details: "orders" } } }));
    assert.deepEqual(only.notes, []);
    assert.match(only.warnings[0] ?? "", /return_error_details: "orders": KrakenD would have acked/);
    const both = resolve(
      entry(
        { encoding: "no-op", extra_config: { "backend/http": { return_error_details: "x" } } },
        undefined,
      ),
    );
    assert.equal(both.warnings.length, 1);
    assert.match(both.warnings[0] ?? "", /encoding: "no-op" and .*return_error_details: "x"/);
  });
});

describe("resolveHttpBackend: errors name the path", () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ["not an object", "http://x", AT, /expected a backend object/],
    ["no url_pattern", { host: ["http://h"] }, `${AT}.url_pattern`, /is required/],
    ["a relative url_pattern", entry({ url_pattern: "orders" }), `${AT}.url_pattern`, /must start with "\/"/],
    ["a space in url_pattern", entry({ url_pattern: "/a b" }), `${AT}.url_pattern`, /percent-encode/],
    ["a fragment in url_pattern", entry({ url_pattern: "/a#b" }), `${AT}.url_pattern`, /without spaces or #/],
    ["a method that is not a word", entry({ method: "PO ST" }), `${AT}.method`, /HTTP method/],
    ["an unknown encoding", entry({ encoding: "protobuf" }), `${AT}.encoding`, /expected one of "json"/],
    ["a host that is not a list", entry({ host: "http://h" }), `${AT}.host`, /expected array/],
    [
      "a host that is not http",
      entry({ host: ["http://ok", "ftp://h"] }),
      `${AT}.host[1]`,
      /http:\/\/ or https:\/\//,
    ],
    ["a host with a query", entry({ host: ["http://h/?a=1"] }), `${AT}.host[0]`, /without query/],
    [
      "a bare host with sanitizing off",
      entry({ host: ["h:80"], disable_host_sanitize: true }),
      `${AT}.host[0]`,
      /http:\/\/ or https/,
    ],
    ["no host anywhere", { url_pattern: "/x" }, `${AT}.host`, /is required: list the base URLs/],
    ["DNS service discovery", entry({ sd: "dns" }), `${AT}.sd`, /only "static"/],
    [
      "an unknown entry key",
      entry({ timeout: "1s" }),
      `${AT}.timeout`,
      /unknown key "timeout".*"url_pattern"/,
    ],
    [
      "an unknown option",
      entry({}, { sucess_status: [200] }),
      `${HTTP}.sucess_status`,
      /unknown key "sucess_status" in an HTTP backend; expected one of "success_status"/,
    ],
    [
      "success_status as text",
      entry({}, { success_status: "3xx" }),
      `${HTTP}.success_status`,
      /"2xx" or a list/,
    ],
    ["an empty success_status", entry({}, { success_status: [] }), `${HTTP}.success_status`, /at least one/],
    [
      "a status out of range",
      entry({}, { success_status: [200, 600] }),
      `${HTTP}.success_status[1]`,
      /100 to 599/,
    ],
    [
      "a fractional status",
      entry({}, { success_status: [200.5] }),
      `${HTTP}.success_status`,
      /"2xx" or a list/,
    ],
    ["negative max_retries", entry({}, { max_retries: -1 }), `${HTTP}.max_retries`, /0 or more/],
    ["a timeout that is not a duration", entry({}, { timeout: "soon" }), `${HTTP}.timeout`, /duration/],
    ["forward_headers as text", entry({}, { forward_headers: "yes" }), `${HTTP}.forward_headers`, /boolean/],
    ["headers as a list", entry({}, { headers: ["X: y"] }), `${HTTP}.headers`, /header names and values/],
    [
      "a header value that is not text",
      entry({}, { headers: { "X-N": 1 } }),
      `${HTTP}.headers["X-N"]`,
      /a string/,
    ],
    ["an empty ca_file", entry({}, { tls: { ca_file: "" } }), `${HTTP}.tls.ca_file`, /must not be empty/],
    [
      "an unknown tls key",
      entry({}, { tls: { ca_file: "ca.pem", cert_file: "c" } }),
      `${HTTP}.tls.cert_file`,
      /expected one of "ca_file"/,
    ],
    [
      "filter_patterns that are not a list",
      entry({}, { filter_patterns: {} }),
      `${HTTP}.filter_patterns`,
      /list/,
    ],
    [
      "a bad filter pattern",
      entry({}, { filter_patterns: [{ data: { n: [{ numeric: [">", "x"] }] } }] }),
      `${HTTP}.filter_patterns[0].data.n[0].numeric[1]`,
      /./,
    ],
    [
      "sigv4 without a service",
      entry({ extra_config: { "auth/aws-sigv4": { region: "eu-west-1" } } }),
      `${AT}.extra_config["auth/aws-sigv4"].service`,
      /is required/,
    ],
    [
      "assume_role_arn",
      entry({
        extra_config: {
          "auth/aws-sigv4": {
            region: "eu-west-1",
            service: "lambda",
            assume_role_arn: "arn:aws:iam::1:role/r",
          },
        },
      }),
      `${AT}.extra_config["auth/aws-sigv4"].assume_role_arn`,
      /is not supported: .*AWS_PROFILE/,
    ],
    [
      "sigv4 and a password in a host",
      entry({
        host: ["https://u:pw@h"],
        extra_config: { "auth/aws-sigv4": { region: "eu-west-1", service: "lambda" } },
      }),
      `${AT}.host`,
      /keep one of them/,
    ],
    [
      "a rate limit without max_rate",
      entry({ extra_config: { "qos/ratelimit/proxy": { capacity: 1 } } }),
      `${AT}.extra_config["qos/ratelimit/proxy"].max_rate`,
      /is required/,
    ],
    [
      "a rate limit with capacity 0",
      entry({ extra_config: { "qos/ratelimit/proxy": { max_rate: 1, capacity: 0 } } }),
      `${AT}.extra_config["qos/ratelimit/proxy"].capacity`,
      /1 or more/,
    ],
    [
      "an unknown namespace",
      entry({ extra_config: { "qos/circuit-breaker": {} } }),
      `${AT}.extra_config["qos/circuit-breaker"]`,
      /unknown namespace "qos\/circuit-breaker".*"auth\/aws-sigv4"/,
    ],
    [
      "a Lambda backend",
      entry({ extra_config: { "backend/lambda": { function_name: "f" } } }),
      `${AT}.extra_config["backend/lambda"]`,
      /not an HTTP backend/,
    ],
  ];
  for (const [title, raw, path, message] of cases) {
    it(title, () => {
      const error = errorOf(raw);
      assert.equal(error.path, path, error.message);
      assert.match(error.message, message);
    });
  }

  for (const namespace of [
    "backend/amqp/producer",
    "backend/amqp/consumer",
    "backend/pubsub/publisher",
    "backend/pubsub/subscriber",
    "backend/grpc",
    "backend/soap",
  ]) {
    it(`refuses the non-HTTP backend ${namespace}`, () => {
      const error = errorOf(entry({ extra_config: { [namespace]: {} } }));
      assert.equal(error.path, `${AT}.extra_config[${JSON.stringify(namespace)}]`);
      assert.match(
        error.message,
        /cannot send to: it sends messages to HTTP endpoints and Lambda functions only/,
      );
    });
  }

  it("never quotes a host's password", () => {
    const error = errorOf(entry({ host: ["ftp://user:hunter2secret@h"] }));
    assert.doesNotMatch(error.message, /hunter2secret/);
    assert.match(error.message, /ftp:\/\/user:\*\*\*@h/);
  });
});

describe("resolveHttpBackend: static headers", () => {
  const headerError = (headers: Record<string, string>, extra: Record<string, unknown> = {}) =>
    errorOf(entry({ extra_config: { "amqp_lambda_agent/http": { headers }, ...extra } }));

  it("refuses a value that could break the header line, without quoting it", () => {
    for (const value of ["secret-1\r\nX-Evil: 1", "secret-2\n", "secret-3\u0000", "sécret-4"]) {
      const error = headerError({ "X-Key": value });
      assert.equal(error.path, `${HTTP}.headers["X-Key"]`);
      assert.match(error.message, /printable ASCII only/);
      assert.ok(!error.message.includes(value.slice(0, 8)), error.message);
    }
  });

  const refused: Array<[string, Record<string, string>, Record<string, unknown>, RegExp]> = [
    ["a name that is not a token", { "X Key": "v" }, {}, /letters, digits/],
    ["an empty name", { "": "v" }, {}, /letters, digits/],
    ["a name listed twice in two cases", { "X-Key": "a", "x-key": "b" }, {}, /listed twice/],
    ["Host", { Host: "evil.example" }, {}, /written by the HTTP client/],
    ["Content-Length", { "Content-Length": "1" }, {}, /written by the HTTP client/],
    ["Transfer-Encoding", { "transfer-encoding": "chunked" }, {}, /written by the HTTP client/],
    ["an X-Amqp- name", { "X-Amqp-Routing-Key": "x" }, {}, /kept for forward_headers/],
    [
      "Authorization with sigv4",
      { Authorization: "Bearer t" },
      { "auth/aws-sigv4": { region: "eu-west-1", service: "lambda" } },
      /auth\/aws-sigv4 signer/,
    ],
    [
      "X-Amz-Date with sigv4",
      { "X-Amz-Date": "20260101T000000Z" },
      { "auth/aws-sigv4": { region: "eu-west-1", service: "lambda" } },
      /auth\/aws-sigv4 signer/,
    ],
  ];
  for (const [title, headers, extra, message] of refused) {
    it(`refuses ${title}`, () => {
      const error = headerError(headers, extra);
      assert.match(error.path, /\.headers[.[]/);
      assert.match(error.message, message);
    });
  }

  it("refuses Authorization when a host carries a user and password", () => {
    const error = errorOf(entry({ host: ["http://u:p@h"] }, { headers: { authorization: "Bearer t" } }));
    assert.equal(error.path, `${HTTP}.headers.authorization`);
    assert.match(error.message, /Basic authorization/);
  });

  it("accepts Authorization without sigv4 or host credentials, and Content-Type", () => {
    const { config } = resolve(
      entry({}, { headers: { Authorization: "Bearer t", "Content-Type": "text/plain" } }),
    );
    assert.deepEqual(Object.keys(config.headers), ["Authorization", "Content-Type"]);
  });
});
