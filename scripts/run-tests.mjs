// `npm test`: unit tests, then integration tests against the real RabbitMQ (127.0.0.1:5672) and the
// real Lambda Invoke API served by serverless-offline from serverless.yml on a dedicated port.
// Extra arguments select test files, e.g. `npm test -- test/integration/core.test.ts`.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startOffline } from "./offline.mjs";

const LAMBDA_PORT = Number(process.env.TEST_LAMBDA_PORT ?? 3902);
// The local S3-compatible server the large_payload tests start (the large-payload function reads from it).
const S3_ENDPOINT = process.env.LARGE_PAYLOAD_S3_ENDPOINT ?? "http://127.0.0.1:3905";

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith(".test.ts") ? [path] : [];
  });
}

const selected = process.argv.slice(2);
// The alert-rules test needs promtool: provide it where the system can (Debian), else say how.
if (selected.length === 0 || selected.some((file) => file.includes("dashboards"))) {
  spawnSync("scripts/ensure-promtool.sh", { stdio: "inherit" });
}
const files =
  selected.length > 0 ? selected : [...testFiles("test/unit"), ...testFiles("test/integration")].sort();
const probeDir = mkdtempSync(join(tmpdir(), "amqp-lambda-agent-probe-"));
// The plugin would also start an agent on the example queues: the tests start their own.
const offline = await startOffline({
  lambdaPort: LAMBDA_PORT,
  env: { PROBE_DIR: probeDir, AMQP_LAMBDA_AGENT_OFFLINE: "false", LARGE_PAYLOAD_S3_ENDPOINT: S3_ENDPOINT },
});
process.stderr.write(
  `serverless-offline Invoke API on http://127.0.0.1:${LAMBDA_PORT} (probe records in ${probeDir})\n`,
);

const tests = spawn(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", ...files],
  {
    stdio: "inherit",
    env: {
      ...process.env,
      LAMBDA_ENDPOINT: `http://127.0.0.1:${LAMBDA_PORT}`,
      PROBE_DIR: probeDir,
      LARGE_PAYLOAD_S3_ENDPOINT: S3_ENDPOINT,
    },
  },
);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    tests.kill(signal);
    await offline.stop();
    process.exit(1);
  });
}
const code = await new Promise((resolve) => tests.on("exit", (exitCode) => resolve(exitCode ?? 1)));
await offline.stop();
process.exit(code);
