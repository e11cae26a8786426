import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));

describe("public types", () => {
  it("the handler fixture keeps its expected type errors", () => {
    const fixture = readFileSync(new URL("../../types/handler.fixture.ts", import.meta.url), "utf8");
    assert.ok((fixture.match(/\/\/ @ts-expect-error /g) ?? []).length >= 1);
  });

  it("test/types compiles (each @ts-expect-error is a real error, everything else type-checks)", () => {
    const result = spawnSync("npx", ["tsc", "-p", "test/types/tsconfig.json"], {
      cwd: root,
      encoding: "utf8",
      timeout: 120_000,
      shell: process.platform === "win32",
    });
    assert.equal(result.error, undefined);
    assert.equal(result.status, 0, `tsc failed:\n${result.stdout}${result.stderr}`);
  });
});
