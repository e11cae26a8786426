import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { readBatchResponse } from "../../../../src/backends/lambda/batch-response.js";

const tags = new Set(["1", "2", "3"]);
const read = (body: string) => readBatchResponse(Buffer.from(body), tags);
const readJson = (body: unknown) => read(JSON.stringify(body));

const success = { failed: new Set<string>() };

function assertInvalid(result: ReturnType<typeof readBatchResponse>, pattern: RegExp): void {
  assert.ok(
    "invalid" in result,
    `expected the whole batch to fail, got ${JSON.stringify([...("failed" in result ? result.failed : [])])}`,
  );
  assert.match(result.invalid, pattern);
}

describe("readBatchResponse: success", () => {
  it("no payload, an empty one, or only whitespace: every message succeeded", () => {
    assert.deepEqual(readBatchResponse(undefined, tags), success);
    assert.deepEqual(readBatchResponse(new Uint8Array(), tags), success);
    assert.deepEqual(read(" \n\t"), success);
  });

  it("valid JSON without a batchItemFailures list: every message succeeded", () => {
    for (const body of [
      '{"ok":true}',
      "null",
      '"text"',
      "42",
      "true",
      "[]",
      '[{"itemIdentifier":"1"}]',
      "{}",
    ]) {
      assert.deepEqual(read(body), success, body);
    }
  });

  it("a JSON string that mentions batchItemFailures is still just a string", () => {
    assert.deepEqual(readJson('{"batchItemFailures":[{"itemIdentifier":"1"}]}'), success);
  });

  it("batchItemFailures null or empty: every message succeeded", () => {
    assert.deepEqual(readJson({ batchItemFailures: null }), success);
    assert.deepEqual(readJson({ batchItemFailures: [] }), success);
  });
});

describe("readBatchResponse: partial failure", () => {
  it("returns the failed delivery tags", () => {
    assert.deepEqual(readJson({ batchItemFailures: [{ itemIdentifier: "2" }, { itemIdentifier: "3" }] }), {
      failed: new Set(["2", "3"]),
    });
  });

  it("accepts numeric identifiers", () => {
    assert.deepEqual(readJson({ batchItemFailures: [{ itemIdentifier: 1 }] }), { failed: new Set(["1"]) });
  });

  it("a tag named twice fails once", () => {
    assert.deepEqual(readJson({ batchItemFailures: [{ itemIdentifier: "1" }, { itemIdentifier: 1 }] }), {
      failed: new Set(["1"]),
    });
  });

  it("reads a payload that is a view into a larger buffer", () => {
    const backing = Buffer.from(
      `xxxx${JSON.stringify({ batchItemFailures: [{ itemIdentifier: "3" }] })}yyyy`,
    );
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 4, backing.byteLength - 8);
    assert.deepEqual(readBatchResponse(view, tags), { failed: new Set(["3"]) });
  });
});

describe("readBatchResponse: the whole batch fails (as Lambda does for SQS)", () => {
  it("a response that is not JSON", () => {
    for (const body of ["not json", "{", "OK", "{'batchItemFailures': []}"]) {
      assertInvalid(read(body), /not valid JSON/);
    }
  });

  it("a response that is not JSON but contains the text batchItemFailures", () => {
    assertInvalid(read('batchItemFailures: [{"itemIdentifier":"1"}]'), /not valid JSON/);
    assertInvalid(read('{"batchItemFailures":[{"itemIdentifier":"1"}]'), /not valid JSON/);
  });

  it("batchItemFailures that is not a list", () => {
    for (const value of [{ itemIdentifier: "1" }, "1", 1, true]) {
      assertInvalid(readJson({ batchItemFailures: value }), /not a list/);
    }
  });

  it("an identifier that is not a message of the batch", () => {
    assertInvalid(
      readJson({ batchItemFailures: [{ itemIdentifier: "1" }, { itemIdentifier: "99" }] }),
      /"99"/,
    );
  });

  it("an item without a usable identifier", () => {
    const items = [
      {},
      { itemIdentifier: "" },
      { itemIdentifier: null },
      { itemIdentifier: ["1"] },
      null,
      "1",
      1,
    ];
    for (const item of items) {
      assertInvalid(readJson({ batchItemFailures: [item] }), /not a deliveryTag of this batch/);
    }
  });

  it("quotes at most 100 characters of a bad identifier", () => {
    const result = readJson({ batchItemFailures: [{ itemIdentifier: "x".repeat(10_000) }] });
    assert.ok("invalid" in result && result.invalid.length < 300);
  });
});

describe("readBatchResponse never throws (property)", () => {
  it("on any payload", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 60 }),
          fc.json().map((json) => Buffer.from(json)),
          fc
            .array(
              fc.oneof(
                fc.anything(),
                fc.record({ itemIdentifier: fc.oneof(fc.constantFrom("1", "2", 3), fc.anything()) }),
              ),
            )
            .map((items) => Buffer.from(JSON.stringify({ batchItemFailures: items }) ?? "")),
        ),
        (payload) => {
          const result = readBatchResponse(payload, tags);
          if ("failed" in result) for (const tag of result.failed) assert.ok(tags.has(tag));
        },
      ),
    );
  });
});
