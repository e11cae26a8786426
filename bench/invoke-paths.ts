/**
 * CPU per Invoke call of each invoke path, against a local Lambda stub running in a child process
 * (so the CPU of the calling process is the path's own). No RabbitMQ. Each path keeps `IN_FLIGHT`
 * calls in flight for `SECONDS` (in interleaved rounds); the table gives calls/s, CPU µs per call,
 * and the ratios to the SDK path and to bare signing + node:http measured in the same run. Run: `node --import tsx bench/invoke-paths.ts [seconds]`.
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";
import { createHttpInvoker } from "../src/backends/lambda/invoke/http-invoker.js";
import { createSdkInvoker } from "../src/backends/lambda/invoke/sdk-invoker.js";
import type { InvokerOptions } from "../src/backends/lambda/invoke/types.js";
import { createUndiciTransport } from "../src/backends/lambda/invoke/undici-transport.js";
import { credentialProviderMicros } from "./credential-cost.js";
import { createKeepAliveAgent } from "./keep-alive-agent.js";
import { createNodeHttpTransport } from "./node-http-transport.js";

const IN_FLIGHT = 10;
const SECONDS = Number(process.argv[2] ?? 5);
const WARMUP_SECONDS = 1;
const ROUNDS = 5;
/** An rmq-style event in three chunks, as the agent hands them over. */
const EVENT = [
  Buffer.from('{"eventSource":"aws:rmq","rmqMessagesByQueue":{"q::/":['),
  Buffer.from(
    JSON.stringify({ basicProperties: { contentType: "application/json" }, data: "x".repeat(160) }),
  ),
  Buffer.from("]}}"),
];
const EVENT_BYTES = EVENT.reduce((n, chunk) => n + chunk.byteLength, 0);

type Call = () => Promise<unknown>;
interface PathResult {
  path: string;
  calls: number;
  callsPerSecond: number;
  cpuMicrosPerCall: number;
}

async function startStub(): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = fork(join(import.meta.dirname, "invoke-paths-stub.ts"), [], {
    execArgv: ["--import", "tsx"],
  });
  const [port] = (await once(child, "message")) as [number];
  return { child, endpoint: `http://127.0.0.1:${port}` };
}

/** Keeps IN_FLIGHT calls going for `seconds`; returns the calls made and the CPU this process used. */
async function drive(
  call: Call,
  seconds: number,
): Promise<{ calls: number; cpuMicros: number; elapsedMs: number }> {
  const deadline = performance.now() + seconds * 1000;
  let calls = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < deadline) {
      await call();
      calls += 1;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  return { calls, cpuMicros: cpu.user + cpu.system, elapsedMs: performance.now() - started };
}

/**
 * Measures every path in ROUNDS interleaved rounds (so a change in the machine's background load
 * hits all paths alike) after a warm-up round; per path, the median round's CPU per call.
 */
async function measureAll(paths: Record<string, Call>): Promise<PathResult[]> {
  const rounds = new Map<string, Array<{ calls: number; cpuMicros: number; elapsedMs: number }>>();
  for (const [path, call] of Object.entries(paths)) {
    await drive(call, WARMUP_SECONDS);
    rounds.set(path, []);
  }
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [path, call] of Object.entries(paths))
      rounds.get(path)?.push(await drive(call, SECONDS / ROUNDS));
  }
  return [...rounds].map(([path, samples]) => {
    const perCall = samples.map((s) => s.cpuMicros / s.calls).sort((a, b) => a - b);
    const calls = samples.reduce((n, s) => n + s.calls, 0);
    const elapsedMs = samples.reduce((n, s) => n + s.elapsedMs, 0);
    return {
      path,
      calls,
      callsPerSecond: (calls * 1000) / elapsedMs,
      cpuMicrosPerCall: perCall[Math.floor(perCall.length / 2)] as number,
    };
  });
}

/** node:http on a keep-alive agent: a POST and its response read to the end. */
function postOverNodeHttp(
  agent: Agent,
  url: URL,
  path: string,
  headers: Record<string, string>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, method: "POST", path, headers },
      (res) => {
        res.on("data", () => {});
        res.on("end", resolve);
      },
    );
    req.on("error", reject);
    req.cork();
    for (const chunk of EVENT) req.write(chunk);
    req.end();
  });
}

function baselines(endpoint: string): Record<string, Call> {
  const url = new URL(endpoint);
  const path = "/2015-03-31/functions/bench/invocations";
  // Node's HTTP agents set TCP_NODELAY on their sockets by default.
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const signer = new SignatureV4({
    service: "lambda",
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    sha256: Sha256,
  });
  const body = Buffer.concat(EVENT);
  return {
    "signing + node:http (baseline)": async () => {
      const signed = await signer.sign({
        method: "POST",
        protocol: "http:",
        hostname: url.hostname,
        port: Number(url.port),
        path,
        query: {},
        headers: {
          host: url.host,
          "content-type": "application/octet-stream",
          "content-length": String(body.byteLength),
        },
        body,
      });
      await postOverNodeHttp(agent, url, path, signed.headers);
    },
    "unsigned node:http (floor)": () =>
      postOverNodeHttp(agent, url, path, {
        host: url.host,
        "content-type": "application/octet-stream",
        "content-length": String(EVENT_BYTES),
      }),
  };
}

/** µs per call of the SDK's memoized default credential provider, as the http path calls it per request. */
function table(results: readonly PathResult[]): string {
  const sdk = results.find((r) => r.path.startsWith("sdk"));
  const signing = results.find((r) => r.path.startsWith("signing"));
  const header = ["path", "calls", "calls/s", "CPU µs/call", "× sdk", "× signing+http"];
  const rows = results.map((r) => [
    r.path,
    String(r.calls),
    r.callsPerSecond.toFixed(0),
    r.cpuMicrosPerCall.toFixed(0),
    sdk ? (r.cpuMicrosPerCall / sdk.cpuMicrosPerCall).toFixed(2) : "-",
    signing ? (r.cpuMicrosPerCall / signing.cpuMicrosPerCall).toFixed(2) : "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  const { child, endpoint } = await startStub();
  try {
    const options: InvokerOptions = {
      functionName: "bench",
      endpoint,
      timeoutMs: 10_000,
      sockets: IN_FLIGHT,
      client: "http",
    };
    const env = { ...process.env, AWS_ACCESS_KEY_ID: "", AWS_PROFILE: "" };
    const sdk = createSdkInvoker({ ...options, client: "sdk" }, env);
    const httpUndici = createHttpInvoker(options, env, { createTransport: createUndiciTransport });
    const http = createHttpInvoker(options, env, {
      createTransport: (target, sockets) =>
        createNodeHttpTransport(createKeepAliveAgent(target.protocol, sockets)),
    });
    const paths: Record<string, Call> = {
      "sdk (LambdaClient.send)": () => sdk.invoke(EVENT, EVENT_BYTES),
      "http path, node:http": () => http.invoke(EVENT, EVENT_BYTES),
      "http path, undici dispatch": () => httpUndici.invoke(EVENT, EVENT_BYTES),
      ...baselines(endpoint),
    };
    for (const invoker of [sdk, http, httpUndici]) {
      const outcome = await invoker.invoke(EVENT, EVENT_BYTES);
      if (outcome.kind !== "ok") throw new Error(`the stub did not answer ok: ${JSON.stringify(outcome)}`);
    }
    const results = await measureAll(paths);
    for (const invoker of [sdk, http, httpUndici]) invoker.close();
    const credentialsMicros = await credentialProviderMicros(endpoint);
    console.log(
      `${IN_FLIGHT} calls in flight, ${SECONDS} s per path in ${ROUNDS} interleaved rounds, Node ${process.version};` +
        " CPU of the calling process (median round)\n",
    );
    console.log(table(results));
    console.log(`\nmemoized default credential provider: ${credentialsMicros.toFixed(2)} µs CPU per call`);
    const directory = join(import.meta.dirname, "results");
    mkdirSync(directory, { recursive: true });
    const file = join(directory, "invoke-paths.json");
    const report = {
      at: new Date().toISOString(),
      node: process.version,
      inFlight: IN_FLIGHT,
      seconds: SECONDS,
    };
    writeFileSync(file, `${JSON.stringify({ ...report, results, credentialsMicros }, null, 2)}\n`);
    console.log(`written: ${file}`);
  } finally {
    child.disconnect();
  }
}

await main();
