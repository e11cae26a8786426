import { type ChildProcess, fork, spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { epochMs } from "./protocol.js";

const ROOT = join(import.meta.dirname, "..");
export const BUILD_DIR = join(import.meta.dirname, ".build");
/** A private copy of dist/, so a rebuild by someone else during the run cannot pull it away. */
const DIST_COPY = join(BUILD_DIR, "dist");
const CLI = join(DIST_COPY, "cli.js");

/** Copies the freshly built dist/ to bench/.build/dist (node_modules still resolve from there). */
export function snapshotDist(): void {
  rmSync(DIST_COPY, { recursive: true, force: true });
  cpSync(join(ROOT, "dist"), DIST_COPY, { recursive: true });
}

const children = new Set<ChildProcess>();
const configDir = mkdtempSync(join(tmpdir(), "amqp-lambda-agent-bench-"));

/** Kills every child still running (SIGKILL) and removes the config files; safe to call twice. */
export function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  children.clear();
  rmSync(configDir, { recursive: true, force: true });
}

/** A consumer under test (agent or baseline): its pid, its output, and a way to stop it. */
export class ConsumerProcess {
  output = "";
  /** Epoch ms just before spawn. */
  readonly spawnedAt: number;
  readonly exited: Promise<number | null>;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    spawnedAt: number,
  ) {
    this.spawnedAt = spawnedAt;
    children.add(child);
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.exited = new Promise((resolve) =>
      child.once("exit", (code) => {
        children.delete(child);
        resolve(code);
      }),
    );
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** `node dist/cli.js run --config <tmpfile>` with LOG_LEVEL=warn. */
  static agent(config: unknown, env: NodeJS.ProcessEnv, nodeArgs: readonly string[] = []): ConsumerProcess {
    const file = join(configDir, `agent-${children.size}-${Date.now()}.json`);
    writeFileSync(file, JSON.stringify(config, null, 2));
    const spawnedAt = epochMs();
    const child = spawn(process.execPath, [...nodeArgs, CLI, "run", "--config", file], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: "warn", LOG_FORMAT: "json", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new ConsumerProcess("agent", child, spawnedAt);
  }

  /** The hand-written baseline consumer (transpiled to plain JS, so no loader runs in it). */
  static baseline(env: NodeJS.ProcessEnv): ConsumerProcess {
    const spawnedAt = epochMs();
    const child = spawn(process.execPath, [join(BUILD_DIR, "baseline-consumer.js")], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new ConsumerProcess("baseline", child, spawnedAt);
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code. */
  async stop(timeoutMs = 15_000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** Forks the transpiled Lambda stub with an IPC channel; resolves once it listens. */
export function forkStub(port: number): Promise<ChildProcess> {
  const child = fork(join(BUILD_DIR, "lambda-stub.js"), [String(port)], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    child.once("message", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`the Lambda stub exited with code ${code} on start`)));
  });
}
