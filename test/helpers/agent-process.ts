import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./wait.js";

const CLI = join(import.meta.dirname, "../../dist/cli.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Writes a config object to a temporary file and returns its path. */
export function writeConfig(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "amqp-lambda-agent-config-"));
  const file = join(dir, "agent.json");
  writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config, null, 2));
  return file;
}

/** Runs the CLI to completion (validate, redrive). */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`CLI ${args.join(" ")} did not finish within ${timeoutMs}ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const running = new Set<ChildProcess>();
// A test that fails before it stops its agent must not leave the process behind (nor keep the
// test file from ending): children are unref'd and killed when the test process exits.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A running `amqp-lambda-agent run` process with its log lines. */
export class AgentProcess {
  /** Every agent process this test file started, for scans over all their output. */
  static readonly started: AgentProcess[] = [];
  readonly lines: Array<Record<string, unknown>> = [];
  stdout = "";
  stderr = "";
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(configFile: string, env: NodeJS.ProcessEnv = {}, extraArgs: readonly string[] = []) {
    this.child = spawn(process.execPath, [CLI, "run", "--config", configFile, ...extraArgs], {
      env: { ...process.env, LOG_LEVEL: "debug", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let partial = "";
    this.child.stdout?.on("data", (chunk: Buffer) => {
      this.stdout += chunk;
      partial += chunk;
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) {
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ msg: line });
        }
      }
    });
    this.child.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk));
    running.add(this.child);
    AgentProcess.started.push(this);
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code) => {
        running.delete(this.child);
        resolve(code);
      }),
    );
    this.child.unref();
    for (const stream of [this.child.stdout, this.child.stderr])
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }

  static start(
    config: unknown,
    env: NodeJS.ProcessEnv = {},
    extraArgs: readonly string[] = [],
  ): AgentProcess {
    return new AgentProcess(writeConfig(config), env, extraArgs);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves with the first log line whose message matches. */
  waitForLog(pattern: RegExp, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    return waitFor(
      `log line ${pattern} (stderr: ${this.stderr.slice(-500)})`,
      () => this.lines.find((l) => pattern.test(String(l.msg))),
      timeoutMs,
    );
  }

  countLogs(pattern: RegExp): number {
    return this.lines.filter((l) => pattern.test(String(l.msg))).length;
  }

  /** The base URL of its health server, from its start-up log line (configure port 0: a free port). */
  async httpBase(): Promise<string> {
    const line = await this.waitForLog(/health and metrics on http:\/\//);
    return `http://${String(line.host)}:${String(line.port)}`;
  }

  async ready(timeoutMs = 20_000): Promise<void> {
    await this.waitForLog(/consuming /, timeoutMs);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGTERM and wait for the exit code (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  kill(): Promise<number | null> {
    this.child.kill("SIGKILL");
    return this.exited;
  }
}
