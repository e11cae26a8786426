import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL("../../../src/middleware/", import.meta.url));
const files = readdirSync(dir).filter((name) => name.endsWith(".ts"));

/** Every `import … from "x"` / `export … from "x"` statement of a source file. */
function moduleStatements(source: string): { statement: string; specifier: string }[] {
  return [...source.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm)].map((match) => ({
    statement: match[0],
    specifier: match[1] ?? "",
  }));
}

/** Dependency-free helpers the middleware shares with the agent (checked below to stay so). */
const SHARED = /^\.\.\/shared\/[a-z0-9-]+\.js$/;

describe("src/middleware has no runtime dependencies", () => {
  it("the shared modules it imports import nothing at run time", () => {
    const sharedDir = fileURLToPath(new URL("../../../src/shared/", import.meta.url));
    for (const name of readdirSync(sharedDir)) {
      const source = readFileSync(join(sharedDir, name), "utf8");
      for (const { statement, specifier } of moduleStatements(source)) {
        assert.ok(
          /^(?:import|export)\s+type\b/.test(statement),
          `shared/${name}: runtime import of "${specifier}"`,
        );
      }
    }
  });

  it("has source files", () => assert.ok(files.includes("index.ts") && files.length > 5, files.join(",")));
  for (const name of files) {
    it(name, () => {
      const source = readFileSync(join(dir, name), "utf8");
      for (const { statement, specifier } of moduleStatements(source)) {
        const typeOnly = /^(?:import|export)\s+type\b/.test(statement);
        const local = specifier.startsWith("./") || SHARED.test(specifier);
        assert.ok(typeOnly || local, `${name}: runtime import of "${specifier}"`);
        if (local) assert.match(specifier, /\.js$/, `${name}: "${specifier}" needs .js`);
      }
      assert.doesNotMatch(source, /^import\s+["']/m, `${name}: side-effect import`);
      const dynamic = [...source.matchAll(/\bimport\s*\(([^)]*)\)|\brequire\s*\(/g)].map((m) => m[0]);
      // The optional peer @aws-sdk/client-s3, loaded on the first S3 pointer only (largePayload).
      const allowed = name === "s3-object-reader.ts" ? ['import("@aws-sdk/client-s3")'] : [];
      assert.deepEqual(dynamic, allowed, `${name}: dynamic import or require`);
    });
  }

  it("index exports exactly the runtime API", async () => {
    const api = await import("../../../src/middleware/index.js");
    assert.deepEqual(Object.keys(api).sort(), [
      "RabbitMQBatchFailureError",
      "decodeBody",
      "decodeHeaderValue",
      "decodeHeaders",
      "failureOf",
      "isHeaderBytes",
      "isJsonContentType",
      "isParsedRabbitMQEvent",
      "isRabbitMQReply",
      "logRecordFailure",
      "parseRabbitMQEvent",
      "processRecords",
      "rabbitMQParser",
      "rabbitMQPartialBatchFailure",
      "recordsOf",
      "reply",
      "resolveLargePayloads",
      "splitQueueKey",
      "toBatchResponse",
      "toError",
      "traceContextOf",
    ]);
  });
});
