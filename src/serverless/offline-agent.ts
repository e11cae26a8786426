import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isPlainObject } from "../shared/is-plain-object.js";
import type { AgentFile } from "./build-agent-config.js";

const CLI = fileURLToPath(new URL("../cli.js", import.meta.url));
const PREFIX = "[amqp-lambda-agent]";

/**
 * `amqp-lambda-agent run` as a child of `serverless offline start`. Broker URLs reach it through
 * `{{ env }}` placeholders, so no password is written to disk. It runs in its own process group:
 * only `stop()` signals it, once, so a Ctrl+C on offline drains it instead of killing it twice.
 */
export class OfflineAgent {
  readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    dir: string,
    private readonly write: (line: string) => void,
  ) {
    const killOnExit = () => this.child.kill("SIGTERM");
    process.once("exit", killOnExit);
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        process.off("exit", killOnExit);
        write(`${PREFIX} exited with code ${code ?? signal}`);
        rmSync(dir, { recursive: true, force: true });
        resolve(code);
      }),
    );
  }

  /** `tracingEnv`: the plugin's `tracing.environment` (OTEL_* variables), over this process's. */
  static start(
    file: AgentFile,
    write: (line: string) => void = defaultWrite,
    tracingEnv: Readonly<Record<string, string>> = {},
  ): OfflineAgent {
    const { config, env } = hostsToEnv(file);
    const dir = mkdtempSync(join(tmpdir(), "amqp-lambda-agent-offline-"));
    const configFile = join(dir, "agent.json");
    writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });
    chmodSync(configFile, 0o600);
    const child = spawn(process.execPath, [CLI, "run", "--config", configFile], {
      env: { ...process.env, ...tracingEnv, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    for (const stream of [child.stdout, child.stderr]) forwardLines(stream, write);
    write(`${PREFIX} started (pid ${child.pid}) with ${configFile}`);
    return new OfflineAgent(child, dir, write);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM (the agent drains in-flight invocations), SIGKILL after `timeoutMs`; resolves with the exit code. */
  async stop(timeoutMs = 60_000): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.write(`${PREFIX} stopping (pid ${this.child.pid})`);
      this.child.kill("SIGTERM");
    }
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Replaces each broker URL (or list) by `{{ env "AMQP_LAMBDA_AGENT_HOST_<i>" }}` and returns the variables. */
function hostsToEnv(file: AgentFile): { config: AgentFile; env: Record<string, string> } {
  const config = structuredClone(file);
  const env: Record<string, string> = {};
  for (const [index, agent] of config.async_agent.entries()) {
    const extra = agent.extra_config;
    const amqp = isPlainObject(extra) ? extra["async/amqp"] : undefined;
    if (!isPlainObject(amqp)) continue;
    const host = amqp.host;
    const name = `AMQP_LAMBDA_AGENT_HOST_${index}`;
    // A list of nodes goes as one JSON array (the agent reads a JSON array in a host string as the list).
    if (Array.isArray(host)) env[name] = JSON.stringify(host);
    else if (typeof host === "string" && !host.includes("{{")) env[name] = host;
    else continue;
    amqp.host = `{{ env "${name}" }}`;
  }
  return { config, env };
}

function forwardLines(stream: NodeJS.ReadableStream | null, write: (line: string) => void): void {
  let partial = "";
  stream?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) write(`${PREFIX} ${line}`);
  });
  stream?.on("end", () => {
    if (partial.trim()) write(`${PREFIX} ${partial}`);
  });
}

function defaultWrite(line: string): void {
  process.stderr.write(`${line}\n`);
}
