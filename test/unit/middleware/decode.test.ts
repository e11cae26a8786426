import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decodeBody,
  decodeHeaders,
  isJsonContentType,
  splitQueueKey,
} from "../../../src/middleware/index.js";
import { bytes } from "./fixtures.js";

describe("isJsonContentType", () => {
  const cases: [string | null | undefined, boolean][] = [
    ["application/json", true],
    ["APPLICATION/JSON; charset=utf-8", true],
    [" application/json ;charset=UTF-8", true],
    ["application/vnd.api+json", true],
    ["application/ld+JSON;profile=x", true],
    ["application/cloudevents+json; charset=utf-8", true],
    ["application/jsonx", false],
    ["application/json-seq", false],
    ["application/x-json-stream", false],
    ["text/plain", false],
    ["text/json", false],
    ["+json", false],
    ["json", false],
    ["", false],
    [null, false],
    [undefined, false],
  ];
  for (const [contentType, expected] of cases) {
    it(`${JSON.stringify(contentType)} -> ${expected}`, () =>
      assert.equal(isJsonContentType(contentType), expected));
  }
});

describe("decodeBody", () => {
  it("parses JSON, strips a BOM, keeps text otherwise", () => {
    assert.deepEqual(decodeBody(Buffer.from('{"a":[1,null]}'), "application/json"), {
      body: { a: [1, null] },
    });
    assert.deepEqual(decodeBody(Buffer.from('\uFEFF{"a":1}'), "application/json"), { body: { a: 1 } });
    assert.deepEqual(decodeBody(Buffer.from('{"a":1}'), "text/plain"), { body: '{"a":1}' });
    assert.deepEqual(decodeBody(Buffer.from('"x"'), null), { body: '"x"' });
    assert.deepEqual(decodeBody(Buffer.alloc(0), null), { body: "" });
  });
  it("records a parse error with the text as body", () => {
    const result = decodeBody(Buffer.from("{nope"), "application/json; charset=utf-8");
    assert.equal(result.body, "{nope");
    assert.ok(result.parseError instanceof Error);
    assert.match(
      result.parseError.message,
      /^invalid JSON body \(content type application\/json; charset=utf-8\): /,
    );
    assert.ok(result.parseError.cause instanceof SyntaxError);
    assert.ok(decodeBody(Buffer.alloc(0), "application/json").parseError instanceof Error);
  });
});

describe("decodeHeaders", () => {
  it("maps null and undefined to {}", () => {
    assert.deepEqual(decodeHeaders(null), {});
    assert.deepEqual(decodeHeaders(undefined), {});
  });
  it("decodes bytes recursively in arrays and tables, keeps scalars", () => {
    const raw = JSON.parse(
      JSON.stringify({
        s: bytes("hi"),
        utf8: bytes("héllo ✓ 😀"),
        signed: { bytes: [-61, -87] },
        empty: { bytes: [] },
        n: 42,
        f: 1.5,
        b: false,
        nil: null,
        list: [bytes("a"), 1, [bytes("b"), null], { k: bytes("c") }],
        table: { inner: { deep: bytes("d"), list: [bytes("e")] }, x: true },
        notBytes: { bytes: [1.5] },
        twoKeys: { bytes: [104], other: 1 },
        outOfRange: { bytes: [256] },
      }),
    );
    assert.deepEqual(decodeHeaders(raw), {
      s: "hi",
      utf8: "héllo ✓ 😀",
      signed: "é",
      empty: "",
      n: 42,
      f: 1.5,
      b: false,
      nil: null,
      list: ["a", 1, ["b", null], { k: "c" }],
      table: { inner: { deep: "d", list: ["e"] }, x: true },
      notBytes: { bytes: [1.5] },
      twoKeys: { bytes: [104], other: 1 },
      outOfRange: { bytes: [256] },
    });
  });
  it("keeps __proto__ as a plain own key", () => {
    const decoded = decodeHeaders(JSON.parse('{"__proto__":{"bytes":[120]},"a":{"__proto__":1}}'));
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(decoded, "__proto__")?.value, "x");
    assert.equal(Object.getOwnPropertyDescriptor(decoded.a, "__proto__")?.value, 1);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});

describe("splitQueueKey", () => {
  const cases: [string, string, string][] = [
    ["orders::/", "orders", "/"],
    ["orders::prod", "orders", "prod"],
    ["My::Job::vh", "My::Job", "vh"],
    ["plain", "plain", "/"],
    ["::/", "", "/"],
    ["q::", "q", ""],
  ];
  for (const [key, queue, vhost] of cases) {
    it(key, () => assert.deepEqual(splitQueueKey(key), { queue, vhost }));
  }
});
