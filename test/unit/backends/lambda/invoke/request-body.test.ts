import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Pool } from "undici";
import type { InvokeTarget } from "../../../../../src/backends/lambda/invoke/invoke-target.js";
import {
  createUndiciTransport,
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

describe("the undici transport sends requestBody's body", () => {
  it("a three-chunk event reaches dispatch as one buffer", async (t) => {
    const bodies: unknown[] = [];
    t.mock.method(Pool.prototype, "dispatch", (options: { body?: unknown }) => {
      bodies.push(options.body);
      return true;
    });
    const target = {
      protocol: "http:",
      headers: { host: "127.0.0.1:9" },
      path: "/invoke",
    } as unknown as InvokeTarget;
    const transport = createUndiciTransport(target, 1);
    const chunks = [Buffer.from('{"a":['), Buffer.from("1"), Buffer.from("]}")];
    const sent = transport.send(target, {}, chunks, 1_000);
    transport.close({ errorType: "Closed", message: "test over" });
    await sent;
    assert.equal(bodies.length, 1);
    assert.ok(Buffer.isBuffer(bodies[0]));
    assert.equal((bodies[0] as Buffer).toString(), '{"a":[1]}');
  });
});
