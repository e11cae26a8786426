import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const PROBE = fileURLToPath(new URL("./probe/loaded-sdk-modules.ts", import.meta.url));

/** Runs the probe in a fresh process (this one may have loaded the SDK for other tests). */
async function probe(
  env: Record<string, string>,
): Promise<{ mode: string; sent: boolean; loaded: string[] }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", PROBE, JSON.stringify(env)],
    {
      timeout: 30_000,
    },
  );
  return JSON.parse(stdout);
}

describe("the SDK is loaded only for export", () => {
  it("export off: context propagated, no SDK, exporter or resources module loaded", async () => {
    const result = await probe({});
    assert.equal(result.mode, "propagate");
    assert.equal(result.sent, true);
    assert.deepEqual(result.loaded, []);
  });

  it("export on: they are loaded (the probe sees them when they are there)", async () => {
    const result = await probe({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    });
    assert.equal(result.mode, "export");
    assert.ok(
      result.loaded.some((path) => path.includes("/sdk-trace-base/")),
      result.loaded.join("\n"),
    );
    assert.ok(result.loaded.some((path) => path.includes("/exporter-trace-otlp-http/")));
    assert.ok(
      !result.loaded.some((path) => path.includes("/exporter-trace-otlp-proto/")),
      "only the exporter asked for",
    );
  });
});
