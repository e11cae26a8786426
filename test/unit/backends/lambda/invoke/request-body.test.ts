import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  JOIN_PAYLOAD_UP_TO_BYTES,
  requestBody,
} from "../../../../../src/backends/lambda/invoke/undici-transport.js";

describe("requestBody: what undici is given to write", () => {
  it("sends a single chunk as it is", () => {
    const only = Buffer.from('{"a":1}');
    assert.equal(requestBody([only]), only);
  });

  it("joins a small payload of several chunks into one buffer (one socket write with the head)", () => {
    const chunks = [Buffer.from('{"head":['), Buffer.from('{"data":"eA=="}'), Buffer.from("]}")];
    const body = requestBody(chunks);
    assert.ok(Buffer.isBuffer(body));
    assert.equal(body.toString(), '{"head":[{"data":"eA=="}]}');
  });

  it("joins up to the limit and keeps the chunks above it (no copy of a large payload)", () => {
    const half = JOIN_PAYLOAD_UP_TO_BYTES / 2;
    const atLimit = [Buffer.alloc(half, 1), Buffer.alloc(half, 2)];
    const joined = requestBody(atLimit);
    assert.ok(Buffer.isBuffer(joined));
    assert.equal(joined.byteLength, JOIN_PAYLOAD_UP_TO_BYTES);
    const over = [Buffer.alloc(half, 1), Buffer.alloc(half + 1, 2)];
    assert.equal(requestBody(over), over as unknown);
  });
});
