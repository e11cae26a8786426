import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { repliesOf } from "../../../../src/backends/lambda/reply-bytes.js";

const bytes = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value));
const text = (body: Uint8Array | undefined) => (body ? Buffer.from(body).toString("utf8") : "");

describe("repliesOf: each message's reply from the function's response", () => {
  it("one message per invocation: the payload exactly as returned", () => {
    const payload = bytes(' {"total": 3} ');
    const reply = repliesOf(payload, ["1"], true).get("1");
    assert.equal(reply?.body, payload);
    assert.equal(reply?.contentType, "application/json");
    assert.equal(text(repliesOf(bytes('"a string"'), ["1"], true).get("1")?.body), '"a string"');
    assert.equal(text(repliesOf(bytes("not json"), ["1"], true).get("1")?.body), "not json");
  });

  it("null or nothing: an empty body", () => {
    for (const payload of [bytes("null"), undefined, Buffer.alloc(0), bytes("  ")]) {
      const reply = repliesOf(payload, ["1"], true).get("1");
      assert.equal(reply?.body, undefined);
      assert.equal(reply?.withoutReply, undefined);
    }
  });

  it("an object with a replies list: its entries, by delivery tag; JSON.stringify of the body", () => {
    const payload = bytes({
      batchItemFailures: [{ itemIdentifier: "3" }],
      replies: [
        { itemIdentifier: "1", body: "text", headers: { a: "x", n: 1, ok: true, no: { deep: 1 } } },
        { itemIdentifier: 2, body: null },
        { itemIdentifier: "1", body: "second entry ignored" },
        { itemIdentifier: "99", body: "not in the batch" },
        "not an entry",
      ],
    });
    for (const whole of [true, false]) {
      const replies = repliesOf(payload, ["1", "2", "3"], whole);
      assert.equal(text(replies.get("1")?.body), '"text"');
      assert.deepEqual(replies.get("1")?.headers, { a: "x", n: 1, ok: true });
      assert.equal(replies.get("2")?.body, undefined);
      assert.equal(replies.get("2")?.withoutReply, undefined, "null is an empty reply, not none");
      assert.equal(replies.get("3")?.withoutReply, true, "no entry: no reply");
      assert.equal(replies.has("99"), false);
    }
  });

  it("batches: only replies entries count, even for a lone message", () => {
    assert.equal(repliesOf(bytes({ total: 3 }), ["1"], false).get("1")?.withoutReply, true);
    assert.equal(repliesOf(undefined, ["1", "2"], false).get("2")?.withoutReply, true);
  });
});
