// Synthesizes examples/cdk/app.mjs (wherever it was copied, with whichever amqp-lambda-agent it
// resolves) and checks the cloud assembly: what the example promises, from the outside.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** `node app.mjs` in `appDir` with no AWS credentials or configuration; the assembly goes to `outdir`. */
export async function synthesizeCdkExample(appDir: string, outdir: string): Promise<{ ms: number }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("AWS_")));
  const started = performance.now();
  try {
    await run(process.execPath, ["app.mjs"], {
      cwd: appDir,
      timeout: 120_000,
      env: {
        ...clean,
        CDK_OUTDIR: outdir,
        AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
        AWS_CONFIG_FILE: "/nonexistent/config",
      },
    });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`node app.mjs failed in ${appDir}:\n${stdout}\n${stderr.slice(-4000)}`);
  }
  return { ms: performance.now() - started };
}

// biome-ignore lint/suspicious/noExplicitAny: the checks read arbitrary CloudFormation properties
type Resource = { Type: string; Properties: Record<string, any> };

/**
 * The example's stack: two functions, one poller whose task role may invoke exactly those two, no
 * custom resource, the agent image staged from the package (package.json, dist/, infra/).
 * Returns the staged image's size in bytes.
 */
export function checkCdkExampleAssembly(outdir: string): { stagedBytes: number } {
  const stack = "AmqpLambdaAgentExample";
  const resources = JSON.parse(readFileSync(join(outdir, `${stack}.template.json`), "utf8"))
    .Resources as Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const functions = ofType("AWS::Lambda::Function").map(([id]) => id);
  assert.equal(functions.length, 2, `two functions: ${functions.join(", ")}`);
  assert.equal(ofType("AWS::ECS::Service").length, 1);
  assert.deepEqual(
    Object.values(resources).filter((r) => r.Type.startsWith("Custom::")),
    [],
    "no custom resource",
  );
  const invokes = Object.values(resources).flatMap((r) => {
    const documents =
      r.Type === "AWS::IAM::Role"
        ? (r.Properties.Policies ?? []).map((p: { PolicyDocument: unknown }) => p.PolicyDocument)
        : r.Type === "AWS::IAM::Policy"
          ? [r.Properties.PolicyDocument]
          : [];
    return documents
      .flatMap((d: { Statement: Array<{ Action: string | string[]; Resource: unknown }> }) => d.Statement)
      .filter((s: { Action: string | string[] }) => [s.Action].flat().includes("lambda:InvokeFunction"));
  });
  assert.equal(invokes.length, 1, JSON.stringify(invokes));
  assert.deepEqual(
    invokes[0].Resource,
    functions.flatMap((id) => [
      { "Fn::GetAtt": [id, "Arn"] },
      { "Fn::Join": ["", [{ "Fn::GetAtt": [id, "Arn"] }, ":*"]] },
    ]),
  );
  const [[, task]] = ofType("AWS::ECS::TaskDefinition") as [[string, Resource]];
  const [container] = task.Properties.ContainerDefinitions;
  assert.deepEqual(
    container.Secrets.map((s: { Name: string }) => s.Name),
    ["AMQP_URL"],
  );
  const manifest = JSON.parse(readFileSync(join(outdir, `${stack}.assets.json`), "utf8"));
  const images = Object.values(manifest.dockerImages) as Array<{
    source: { directory: string; dockerFile: string };
  }>;
  assert.equal(images.length, 1);
  const source = images[0]?.source;
  assert.equal(source?.dockerFile, "infra/Dockerfile.package");
  const staged = join(outdir, source?.directory ?? "");
  assert.deepEqual(readdirSync(staged).sort(), ["dist", "infra", "package.json"]);
  for (const file of ["dist/cli.js", "infra/Dockerfile.package"]) {
    assert.ok(existsSync(join(staged, file)), `${file} is staged`);
  }
  const stagedBytes = bytesUnder(staged);
  assert.ok(stagedBytes < 5 * 1024 * 1024, `${stagedBytes} bytes staged`);
  return { stagedBytes };
}

/** The size of a file, or of every file under a folder. */
export function bytesUnder(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((total, entry) => total + bytesUnder(join(path, entry)), 0);
}
