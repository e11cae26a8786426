// Starts serverless-offline (osls) on the project's serverless.yml and resolves once its Lambda
// Invoke API answers. Used by the test runner and by `npm start`.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export async function startOffline({
  lambdaPort,
  httpPort,
  websocketPort,
  env = {},
  cwd = process.cwd(),
  config,
  quiet = true,
  timeoutMs = 60_000,
}) {
  const bin = require.resolve("serverless/bin/serverless.js");
  const args = [bin, "offline", "start"];
  if (config) args.push("--config", config);
  const child = spawn(process.execPath, args, {
    cwd,
    env: {
      ...process.env,
      ...env,
      OFFLINE_LAMBDA_PORT: String(lambdaPort),
      OFFLINE_HTTP_PORT: String(httpPort ?? lambdaPort + 1),
      OFFLINE_WEBSOCKET_PORT: String(websocketPort ?? lambdaPort + 2),
      SLS_TELEMETRY_DISABLED: "1",
      SLS_NOTIFICATIONS_MODE: "off",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const collect = (chunk) => {
    output += chunk;
    if (!quiet) process.stderr.write(chunk);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serverless offline exited early:\n${output}`);
    try {
      await fetch(`http://127.0.0.1:${lambdaPort}/`);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  if (Date.now() >= deadline) {
    process.kill(-child.pid, "SIGKILL");
    throw new Error(`serverless offline did not listen on ${lambdaPort} within ${timeoutMs}ms:\n${output}`);
  }
  return {
    child,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode !== null) return;
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
      }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
