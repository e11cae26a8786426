// The journey of a user who installs the published package: `npm pack` (which builds), then a
// fresh Serverless service in another folder with the tarball, osls, serverless-offline and
// @middy/core, an `amqp` event and a handler using `amqp-lambda-agent/middleware`; beside it, the
// example CDK app (examples/cdk) with aws-cdk-lib, synthesized against the installed package.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { AMQP_URL, TestBroker, uniqueName } from "../helpers/broker.js";
import { checkCdkExampleAssembly, synthesizeCdkExample } from "../helpers/cdk-example.js";
import { waitFor } from "../helpers/wait.js";

const ROOT = join(import.meta.dirname, "../..");
const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  exports: Record<string, string | Record<string, string>>;
};
/** The versions this repository installed, so npm takes them from its cache. */
const installed = (name: string) =>
  (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string })
    .version;

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address && typeof address === "object");
  return address.port;
}

/** `cmd args` in `cwd`; rejects with its output on a non-zero exit. */
async function sh(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, {
      cwd,
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, npm_config_update_notifier: "false", SLS_TELEMETRY_DISABLED: "1" },
    });
    return stdout;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${stdout}\n${stderr}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the packed tarball, installed in a user's own Serverless service", () => {
  const work = mkdtempSync(join(tmpdir(), "amqp-lambda-agent-tarball-"));
  const source = join(work, "source");
  const service = join(work, "service");
  const records = join(work, "handled.jsonl");
  const exchange = uniqueName("tarball-x");
  const queue = uniqueName("tarball-q");
  let broker: TestBroker | undefined;
  let offline: ChildProcess | undefined;
  let output = "";
  let agentPid = 0;

  before(async () => {
    broker = await TestBroker.connect();
    // A copy of what a fresh clone has (no dist/), so `npm pack` must build it through `prepare`.
    mkdirSync(source);
    for (const entry of ["package.json", "package-lock.json", "tsconfig.json", "README.md", "src", "infra"]) {
      cpSync(join(ROOT, entry), join(source, entry), { recursive: true });
    }
    symlinkSync(join(ROOT, "node_modules"), join(source, "node_modules"), "dir");
    const packed = JSON.parse(
      await sh("npm", ["pack", "--json", "--pack-destination", work], source),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const [tarball] = packed;
    assert.ok(tarball, "npm pack made a tarball");
    const files = tarball.files.map((file) => file.path);
    for (const file of [
      "dist/index.js",
      "dist/cli.js",
      "dist/middleware/index.js",
      "dist/serverless/index.cjs",
      "dist/cdk/index.js",
      "infra/Dockerfile.package",
    ]) {
      assert.ok(files.includes(file), `${file} is in the tarball (${files.length} files)`);
    }

    mkdirSync(service);
    writeFileSync(
      join(service, "package.json"),
      JSON.stringify({ name: "tarball-user-service", private: true, type: "module" }, null, 2),
    );
    writeFileSync(
      join(service, "handler.mjs"),
      `import { appendFileSync } from "node:fs";
import middy from "@middy/core";
import { processRecords, rabbitMQParser, rabbitMQPartialBatchFailure } from "amqp-lambda-agent/middleware";

export const handler = middy()
  .use([rabbitMQParser(), rabbitMQPartialBatchFailure()])
  .handler((event) =>
    processRecords(event, async (message) => {
      appendFileSync(process.env.RECORD_FILE, JSON.stringify({ id: message.body?.id, queue: message.queue }) + "\\n");
    }),
  );
`,
    );
    const [lambdaPort, httpPort, websocketPort] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(
      join(service, "serverless.yml"),
      `service: tarball-user
frameworkVersion: ">=3"
provider:
  name: aws
  runtime: nodejs24.x
  region: us-east-1
  timeout: 3
  environment:
    RECORD_FILE: \${env:RECORD_FILE}
plugins:
  - amqp-lambda-agent/serverless
  - serverless-offline
custom:
  serverless-offline:
    lambdaPort: ${lambdaPort}
    httpPort: ${httpPort}
    websocketPort: ${websocketPort}
functions:
  orders:
    handler: handler.handler
    events:
      - amqp:
          host: \${env:AMQP_URL}
          exchange: ${exchange}
          name: ${queue}
          topic: "order.*"
`,
    );
    await sh(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--save-dev",
        join(work, tarball.filename),
        `osls@${installed("serverless")}`,
        `serverless-offline@${installed("serverless-offline")}`,
        `@middy/core@${installed("@middy/core")}`,
        `aws-cdk-lib@${installed("aws-cdk-lib")}`,
        `constructs@${installed("constructs")}`,
      ],
      service,
    );

    offline = spawn(
      process.execPath,
      [join(service, "node_modules/osls/bin/serverless.js"), "offline", "start"],
      {
        cwd: service,
        env: {
          ...process.env,
          AMQP_URL,
          RECORD_FILE: records,
          AMQP_LAMBDA_AGENT_OFFLINE: "true",
          LOG_LEVEL: "info",
          SLS_TELEMETRY_DISABLED: "1",
          SLS_NOTIFICATIONS_MODE: "off",
        },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    for (const stream of [offline.stdout, offline.stderr]) stream?.on("data", (chunk) => (output += chunk));
    const started = await waitFor(
      "the plugin to start the agent",
      () => {
        if (offline?.exitCode !== null) throw new Error(`serverless offline exited:\n${output}`);
        return /\[amqp-lambda-agent\] started \(pid (\d+)\)/.exec(output);
      },
      120_000,
      200,
    );
    agentPid = Number(started[1]);
    await waitFor(`the agent to consume ${queue} (output: ${output.slice(-2000)})`, () =>
      output.includes(`consuming ${queue} `),
    );
  });

  after(async () => {
    if (offline?.pid && offline.exitCode === null && offline.signalCode === null) {
      try {
        process.kill(-offline.pid, "SIGKILL");
      } catch {}
    }
    // The agent runs in a process group of its own: a killed offline leaves it behind.
    const pid = agentPid || Number(/\[amqp-lambda-agent\] started \(pid (\d+)\)/.exec(output)?.[1] ?? 0);
    if (pid && alive(pid)) process.kill(pid, "SIGKILL");
    await broker?.cleanup([exchange], [queue, `${queue}.dlq`]);
    await broker?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('`import "amqp-lambda-agent"` and both subpaths resolve from the installed package', async () => {
    const script = `
      import { createRequire } from "node:module";
      const root = await import("amqp-lambda-agent");
      const middleware = await import("amqp-lambda-agent/middleware");
      const Plugin = createRequire(import.meta.url)("amqp-lambda-agent/serverless");
      const plugin = new Plugin({ service: {}, classes: { Error } }, {});
      console.log(JSON.stringify({
        root: [typeof root.resolveConfig, typeof root.loadConfigFile],
        middleware: [typeof middleware.rabbitMQParser, typeof middleware.rabbitMQPartialBatchFailure, typeof middleware.processRecords],
        plugin: Object.keys(plugin.hooks).includes("package:compileEvents"),
        config: root.resolveConfig({ async_agent: [{ name: "a", consumer: { topic: "#" },
          backend: [{ extra_config: { "backend/lambda": { function_name: "f" } } }],
          extra_config: { "async/amqp": { host: "amqp://h/", exchange: "x", name: "q" } } }] }, {}).agents[0].amqp.queue,
      }));`;
    const result = JSON.parse(await sh(process.execPath, ["--input-type=module", "-e", script], service));
    assert.deepEqual(result, {
      root: ["function", "function"],
      middleware: ["function", "function", "function"],
      plugin: true,
      config: "q",
    });
    const installedDir = join(service, "node_modules", pkg.name);
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      for (const file of typeof target === "string" ? [target] : Object.values(target)) {
        assert.ok(existsSync(join(installedDir, file)), `${subpath}: ${file} is installed`);
      }
    }
  });

  it("the example CDK app synthesizes against the installed amqp-lambda-agent/cdk, staging the agent image from it", async () => {
    const app = join(service, "cdk-app");
    cpSync(join(ROOT, "examples/cdk"), app, { recursive: true });
    const outdir = join(work, "cdk.out");
    await synthesizeCdkExample(app, outdir);
    checkCdkExampleAssembly(outdir);
    const resolved = await sh(
      process.execPath,
      ["--input-type=module", "-e", 'console.log(import.meta.resolve("amqp-lambda-agent/cdk"))'],
      app,
    );
    assert.equal(
      resolved.trim(),
      `file://${join(service, "node_modules/amqp-lambda-agent/dist/cdk/index.js")}`,
    );
  });

  it("`npx amqp-lambda-agent --version` prints the package's version", async () => {
    const printed = await sh("npx", ["--no-install", "amqp-lambda-agent", "--version"], service, 60_000);
    assert.equal(printed.trim(), pkg.version);
  });

  it("`serverless offline start` runs the agent: a published message reaches the handler", async () => {
    assert.ok(broker);
    await broker.publish(exchange, "order.created", [{ id: 7101 }, { id: 7102 }]);
    const handled = await waitFor(
      `both messages handled (offline output: ${output.slice(-2000)})`,
      () => {
        if (!existsSync(records)) return undefined;
        const lines = readFileSync(records, "utf8").split("\n").filter(Boolean);
        const ids = lines.map((line) => (JSON.parse(line) as { id: number }).id);
        return ids.includes(7101) && ids.includes(7102) ? lines : undefined;
      },
      60_000,
    );
    assert.deepEqual(JSON.parse(handled[0] ?? "{}").queue, queue);
    await waitFor("the queue to be empty", async () => (await broker?.ready(queue)) === 0);
    assert.equal(await broker.ready(`${queue}.dlq`), 0, "nothing dead-lettered");
  });

  it("stopping offline drains and stops the agent", async () => {
    assert.ok(offline?.pid && agentPid > 0 && alive(agentPid));
    const exited = new Promise((resolve) =>
      offline?.once("exit", (code, signal) => resolve({ code, signal })),
    );
    process.kill(-offline.pid, "SIGTERM");
    assert.deepEqual(await exited, { code: 0, signal: null });
    assert.match(output, /\[amqp-lambda-agent\] exited with code 0/);
    await waitFor(`agent process ${agentPid} to be gone`, () => !alive(agentPid), 10_000);
  });
});
