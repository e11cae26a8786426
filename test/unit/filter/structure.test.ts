import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileFilterPatterns } from "../../../src/filter/index.js";
import { bodyMatches, message } from "./filter-fixtures.js";

describe("nested patterns", () => {
  const pattern = { a: { b: ["x"] } };

  it("descend into the body's objects", () => {
    assert.equal(bodyMatches(pattern, { a: { b: "x", c: 1 } }), true);
    assert.equal(bodyMatches(pattern, { a: { b: "y" } }), false);
  });

  it("do not match a leaf, or a missing parent, where the pattern expects an object", () => {
    assert.equal(bodyMatches(pattern, { a: "x" }), false);
    assert.equal(bodyMatches(pattern, { b: "x" }), false);
    assert.equal(bodyMatches(pattern, { a: null }), false);
  });

  it("match a list of objects when any one object matches", () => {
    assert.equal(bodyMatches(pattern, { a: [{ b: "y" }, { b: "x" }] }), true);
    assert.equal(bodyMatches(pattern, { a: [[{ b: "x" }]] }), true);
    assert.equal(bodyMatches(pattern, { a: [{ b: "y" }, "x"] }), false);
  });

  it("need all their fields in the same object of a list", () => {
    const both = { a: { b: ["x"], c: ["y"] } };
    assert.equal(bodyMatches(both, { a: [{ b: "x" }, { c: "y" }] }), false);
    assert.equal(bodyMatches(both, { a: [{ b: "x" }, { b: "x", c: "y" }] }), true);
  });

  it("treat a missing parent as having none of the nested fields", () => {
    const absent = { detail: { count: [{ exists: false }] } };
    assert.equal(bodyMatches(absent, {}), true);
    assert.equal(bodyMatches(absent, { detail: "text" }), true);
    assert.equal(bodyMatches(absent, { detail: [1, 2] }), true);
    assert.equal(bodyMatches(absent, { detail: { count: 1 } }), false);
    assert.equal(bodyMatches(absent, { detail: [{ count: 1 }] }), false);
    assert.equal(bodyMatches(absent, { detail: [{ count: 1 }, { other: 2 }] }), true);
  });

  it("search lists of lists for leaves", () => {
    assert.equal(bodyMatches({ x: [3] }, { x: [[1, 2], [3]] }), true);
    assert.equal(bodyMatches({ x: [4] }, { x: [[1, 2], [3]] }), false);
  });

  it("AND every key of a pattern", () => {
    const pattern2 = { a: ["1"], b: [{ prefix: "x" }] };
    assert.equal(bodyMatches(pattern2, { a: "1", b: "xy" }), true);
    assert.equal(bodyMatches(pattern2, { a: "1", b: "y" }), false);
    assert.equal(bodyMatches(pattern2, { a: "1" }), false);
  });
});

describe("$or", () => {
  it("at the top level matches when any alternative does", () => {
    const filter = compileFilterPatterns([{ $or: [{ routingKey: ["a"] }, { exchange: ["audit"] }] }]);
    assert.equal(filter.matches(message({ routingKey: "a" })), true);
    assert.equal(filter.matches(message({ exchange: "audit" })), true);
    assert.equal(filter.matches(message({ routingKey: "b" })), false);
  });

  it("is combined with its sibling keys", () => {
    const pattern = {
      source: ["aws.cloudwatch"],
      $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }],
    };
    assert.equal(bodyMatches(pattern, { source: "aws.cloudwatch", namespace: "AWS/EC2" }), true);
    assert.equal(bodyMatches(pattern, { source: "aws.ec2", namespace: "AWS/EC2" }), false);
    assert.equal(bodyMatches(pattern, { source: "aws.cloudwatch", namespace: "AWS/ES" }), false);
  });

  it("nests inside an alternative and inside nested objects", () => {
    const pattern = {
      detail: {
        $or: [{ a: [1] }, { b: [2], $or: [{ c: [3] }, { d: [4] }] }],
      },
    };
    assert.equal(bodyMatches(pattern, { detail: { a: 1 } }), true);
    assert.equal(bodyMatches(pattern, { detail: { b: 2, d: 4 } }), true);
    assert.equal(bodyMatches(pattern, { detail: { b: 2 } }), false);
    assert.equal(bodyMatches(pattern, { detail: [{ b: 2 }, { d: 4 }] }), false);
  });

  it("works at the top level across message fields", () => {
    const filter = compileFilterPatterns([
      { redelivered: [false], $or: [{ data: { kind: ["a"] } }, { basicProperties: { type: ["b"] } }] },
    ]);
    assert.equal(filter.matches(message({ data: { kind: "a" } })), true);
    assert.equal(filter.matches(message({ basicProperties: { type: "b" } })), true);
    assert.equal(filter.matches(message({ basicProperties: { type: "b" }, redelivered: true })), false);
  });
});

describe("a list of patterns", () => {
  it("passes a message that any pattern matches", () => {
    const filter = compileFilterPatterns([{ routingKey: ["a"] }, { data: { x: [1] } }]);
    assert.equal(filter.matches(message({ routingKey: "a" })), true);
    assert.equal(filter.matches(message({ data: { x: 1 } })), true);
    assert.equal(filter.matches(message({ data: { x: 2 } })), false);
  });
});

describe("message fields", () => {
  it("match properties, headers, routing key, exchange and the redelivered flag", () => {
    const filter = compileFilterPatterns([
      {
        basicProperties: { contentType: ["application/json"], headers: { tenant: ["acme"] } },
        routingKey: [{ prefix: "orders." }],
        exchange: ["events"],
        redelivered: [false],
      },
    ]);
    const matching = message({
      basicProperties: { contentType: "application/json", headers: { tenant: "acme" } },
    });
    assert.equal(filter.matches(matching), true);
    assert.equal(filter.matches({ ...matching, redelivered: true }), false);
    assert.equal(filter.matches({ ...matching, routingKey: "users.created" }), false);
  });

  it("treat header names starting with $, _, # or @ as ordinary names", () => {
    const headers = { $meta: "m", _trace: "t", "#tag": "h", "@type": "a" };
    const filter = compileFilterPatterns([
      { basicProperties: { headers: { $meta: ["m"], _trace: ["t"], "#tag": ["h"], "@type": ["a"] } } },
    ]);
    assert.equal(filter.matches(message({ basicProperties: { headers } })), true);
    assert.equal(
      filter.matches(message({ basicProperties: { headers: { ...headers, _trace: "x" } } })),
      false,
    );
  });

  it("treat a property whose value is undefined as absent", () => {
    const filter = compileFilterPatterns([{ basicProperties: { contentType: [{ exists: false }] } }]);
    assert.equal(filter.matches(message({ basicProperties: { contentType: undefined } })), true);
    assert.equal(filter.matches(message({ basicProperties: { contentType: "text/plain" } })), false);
  });

  it("count a non-JSON header value (a Buffer) as present, but match no value against it", () => {
    const headers = { blob: Buffer.from("abc") };
    const exists = compileFilterPatterns([{ basicProperties: { headers: { blob: [{ exists: true }] } } }]);
    const anythingBut = compileFilterPatterns([
      { basicProperties: { headers: { blob: [{ "anything-but": "x" }] } } },
    ]);
    const nested = compileFilterPatterns([{ basicProperties: { headers: { blob: { 0: [97] } } } }]);
    assert.equal(exists.matches(message({ basicProperties: { headers } })), true);
    assert.equal(anythingBut.matches(message({ basicProperties: { headers } })), false);
    assert.equal(nested.matches(message({ basicProperties: { headers } })), false);
  });
});

describe("a body that is not JSON (data absent)", () => {
  it("fails a pattern that looks into data, even one only asking for absent fields", () => {
    const filter = compileFilterPatterns([{ data: { x: [{ exists: false }] } }]);
    assert.equal(filter.matches(message()), false);
    assert.equal(filter.matches(message({ data: {} })), true);
    assert.equal(filter.matches(message({ data: "plain JSON string" })), true);
  });

  it("passes a pattern asking for data to be absent, and patterns on other fields", () => {
    assert.equal(compileFilterPatterns([{ data: [{ exists: false }] }]).matches(message()), true);
    assert.equal(compileFilterPatterns([{ data: [{ exists: false }] }]).matches(message({ data: 1 })), false);
    assert.equal(compileFilterPatterns([{ routingKey: ["orders.created"] }]).matches(message()), true);
  });
});

describe("readsData", () => {
  const readsData = (patterns: unknown[]) => compileFilterPatterns(patterns).readsData;

  it("is false when no pattern names data", () => {
    assert.equal(readsData([{ routingKey: ["a"] }, { basicProperties: { headers: { x: ["y"] } } }]), false);
    assert.equal(readsData([{ basicProperties: { data: ["x"] } }]), false);
    assert.equal(readsData([{ $or: [{ routingKey: ["a"] }, { exchange: ["e"] }] }]), false);
  });

  it("is true when any pattern names data, as an object or a leaf, inside $or too", () => {
    assert.equal(readsData([{ data: { x: ["a"] } }]), true);
    assert.equal(readsData([{ data: [{ exists: false }] }]), true);
    assert.equal(readsData([{ routingKey: ["a"] }, { data: { x: [1] } }]), true);
    assert.equal(readsData([{ $or: [{ routingKey: ["a"] }, { data: { x: [1] } }] }]), true);
    assert.equal(
      readsData([{ $or: [{ routingKey: ["a"] }, { $or: [{ exchange: ["e"] }, { data: [1] }] }] }]),
      true,
    );
  });
});
