// examples/cdk synthesizes with this repository's build (`amqp-lambda-agent/cdk` resolves to dist/
// through the package's own name): no AWS account, no network. The packed-tarball test does the
// same with the installed package.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { checkCdkExampleAssembly, synthesizeCdkExample } from "../helpers/cdk-example.js";

const ROOT = join(import.meta.dirname, "../..");

describe("the example CDK app (examples/cdk)", () => {
  const outdir = mkdtempSync(join(tmpdir(), "amqp-lambda-agent-cdk-example-"));
  after(() => rmSync(outdir, { recursive: true, force: true }));

  it("synthesizes offline: two functions, one poller that may invoke only them, the image staged from the package", async (t) => {
    const { ms } = await synthesizeCdkExample(join(ROOT, "examples/cdk"), outdir);
    const { stagedBytes } = checkCdkExampleAssembly(outdir);
    assert.ok(ms < 60_000, `${ms} ms`);
    t.diagnostic(`synthesized in ${Math.round(ms)} ms, image staged: ${stagedBytes} bytes`);
  });
});
