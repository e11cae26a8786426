import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readBatchResponse } from "../../../src/lambda/batch-response.js";

const tags = new Set(["1", "2", "3"]);
const read = (body: unknown) =>
  readBatchResponse(Buffer.from(typeof body === "string" ? body : JSON.stringify(body)), tags);

describe("readBatchResponse", () => {
  it("returns the failed delivery tags", () => {
    assert.deepEqual(read({ batchItemFailures: [{ itemIdentifier: "2" }, { itemIdentifier: "3" }] }), {
      failed: new Set(["2", "3"]),
    });
  });
  it("treats any other response as all succeeded", () => {
    for (const body of [
      { ok: true },
      "null",
      '"text"',
      "not json",
      { batchItemFailures: [] },
      { batchItemFailures: null },
    ]) {
      assert.deepEqual(read(body), { failed: new Set() });
    }
    assert.deepEqual(readBatchResponse(undefined, tags), { failed: new Set() });
  });
  it("accepts numeric identifiers", () => {
    assert.deepEqual(read({ batchItemFailures: [{ itemIdentifier: 1 }] }), { failed: new Set(["1"]) });
  });
  it("an identifier that is not in the batch makes the response invalid", () => {
    assert.ok("invalid" in read({ batchItemFailures: [{ itemIdentifier: "9" }] }));
    assert.ok("invalid" in read({ batchItemFailures: [{ id: "1" }] }));
    assert.ok("invalid" in read({ batchItemFailures: "1" }));
  });
});
