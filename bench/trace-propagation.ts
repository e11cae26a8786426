/**
 * CPU cost of trace propagation (tracing on, export off) per message, against the cheapest call the
 * agent can make for one message, measured in the same run: an unsigned `node:http` POST to a stub
 * in a child process (so the CPU counted is the caller's). The call is also made with the same
 * trace headers computed once (what sending them costs) and with the tracing calls a pipeline makes
 * for it (what computing them adds), and with its two spans exported over OTLP/HTTP to the stub
 * (flushed within the sample); the order rotates from round to round. The micro rows time the
 * tracing calls alone. No RabbitMQ, no network.
 * Run: `node --import tsx bench/trace-propagation.ts [seconds]`.
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { Agent, createServer, request } from "node:http";
import { join } from "node:path";
import type { ConsumeMessage } from "amqplib";
import { createTracing, type TracedMessage, type Tracing } from "../src/tracing/index.js";

const SECONDS = Number(process.argv[2] ?? 5);
const ROUNDS = 6;
const IN_FLIGHT = 10;
const MICRO_ITERATIONS = 200_000;
const BODY = Buffer.from(JSON.stringify({ data: "x".repeat(160) }));

function serveStub(): void {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-length": 2 }).end("{}"));
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => process.send?.((server.address() as { port: number }).port));
  process.on("disconnect", () => process.exit(0));
}

function message(headers: Record<string, unknown>, deliveryTag: number): TracedMessage {
  const delivery = {
    content: BODY,
    fields: {
      deliveryTag,
      redelivered: false,
      exchange: "orders",
      routingKey: "order.created",
      consumerTag: "c",
    },
    properties: { headers },
  } as unknown as ConsumeMessage;
  return { message: delivery, origin: { exchange: "orders", routingKey: "order.created" } };
}

const traced = (n: number) =>
  message(
    {
      traceparent: `00-4bf92f35${n.toString(16).padStart(24, "0")}-00f067aa0ba902b7-01`,
      tracestate: "rojo=1",
    },
    n,
  );

/** What the pipeline does for one invocation: start it, one Lambda call, end both. */
function traceOneInvocation(
  tracing: Tracing,
  messages: readonly TracedMessage[],
): Readonly<Record<string, string>> {
  const invocation = tracing.startInvocation(messages, "orders");
  const call = invocation.startCall({ kind: "lambda", functionName: "orders-fn" });
  call.end({ requestId: "r" });
  invocation.end();
  return call.headers ?? {};
}

function post(agent: Agent, port: number, extra: Readonly<Record<string, string>>): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers = {
      "content-type": "application/json",
      "content-length": String(BODY.byteLength),
      ...extra,
    };
    const req = request(
      { agent, host: "127.0.0.1", port, method: "POST", path: "/invoke", headers },
      (res) => {
        res.resume();
        res.on("end", resolve);
      },
    );
    req.on("error", reject);
    req.end(BODY);
  });
}

/** CPU µs per call of this process, IN_FLIGHT calls at a time for `seconds`, `finish` included. */
async function cpuPerCall(
  call: () => Promise<void>,
  seconds: number,
  finish: () => Promise<void> = async () => {},
): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let calls = 0;
  const before = process.cpuUsage();
  const worker = async () => {
    for (; performance.now() < deadline; calls += 1) await call();
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await finish();
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / calls;
}

/** CPU µs per iteration of `work`, after a warm-up. */
function micro(work: () => unknown): number {
  for (let i = 0; i < MICRO_ITERATIONS / 10; i += 1) work();
  const before = process.cpuUsage();
  for (let i = 0; i < MICRO_ITERATIONS; i += 1) work();
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / MICRO_ITERATIONS;
}

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function main(): Promise<void> {
  const child: ChildProcess = fork(import.meta.filename, ["stub"], { execArgv: ["--import", "tsx"] });
  const [port] = (await once(child, "message")) as [number];
  try {
    const off = await createTracing({ enabled: false, parent: "child" }, {});
    const on = await createTracing({ enabled: true, parent: "child" }, {});
    // Spans exported over OTLP/HTTP (protobuf) to the same stub, which answers every POST: a Tracing
    // per sample, shut down (its spans flushed) within the sample, so no export spills into another.
    const exportEnv = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_MAX_QUEUE_SIZE: "65536",
    };
    let exporting = await createTracing({ enabled: true, parent: "child" }, exportEnv);
    const one = [traced(1)];
    const batch = Array.from({ length: 10 }, (_, i) => traced(i + 1));
    const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const fixed = traceOneInvocation(on, one);
    const paths = {
      baseline: () => post(agent, port, {}),
      fixedHeaders: () => post(agent, port, fixed),
      traced: () => post(agent, port, traceOneInvocation(on, one)),
      exported: () => post(agent, port, traceOneInvocation(exporting, one)),
    };
    const samples = {
      baseline: [] as number[],
      fixedHeaders: [] as number[],
      traced: [] as number[],
      exported: [] as number[],
    };
    const sample = async (path: keyof typeof paths, seconds: number): Promise<number> => {
      if (path !== "exported") return cpuPerCall(paths[path], seconds);
      exporting = await createTracing({ enabled: true, parent: "child" }, exportEnv);
      return cpuPerCall(paths[path], seconds, () => exporting.shutdown());
    };
    for (const path of Object.keys(paths) as (keyof typeof paths)[]) await sample(path, 1);
    const order = Object.keys(paths) as (keyof typeof paths)[];
    for (let round = 0; round < ROUNDS; round += 1) {
      // A different path goes first in each round: a drift within the round hits each path alike.
      for (let i = 0; i < order.length; i += 1) {
        const path = order[(round + i) % order.length] as keyof typeof paths;
        samples[path].push(await sample(path, SECONDS / ROUNDS / order.length));
      }
    }
    agent.destroy();
    const baseline = median(samples.baseline);
    const rows: [string, number][] = [
      ["node:http call, 1 message (baseline)", baseline],
      ["same call + the same headers, computed once", median(samples.fixedHeaders)],
      ["same call + tracing (export off)", median(samples.traced)],
      ["same call + 2 spans exported over OTLP/HTTP", median(samples.exported)],
      ["tracing off: one invocation", micro(() => traceOneInvocation(off, one))],
      ["export off: 1 message, Lambda call", micro(() => traceOneInvocation(on, one))],
      ["export off: batch of 10, per message", micro(() => traceOneInvocation(on, batch)) / 10],
      ["export off: headers of a copy", micro(() => on.startInvocation(one, "orders").copyHeaders(0))],
    ];
    const table = [
      "| path | CPU µs per message | % of baseline |",
      "|---|---:|---:|",
      ...rows.map(
        ([path, micros]) => `| ${path} | ${micros.toFixed(2)} | ${((micros / baseline) * 100).toFixed(2)}% |`,
      ),
    ].join("\n");
    console.log(
      `Node ${process.version}, ${SECONDS} s of calls (${IN_FLIGHT} in flight, ${ROUNDS} rounds, median)\n`,
    );
    console.log(table);
    const directory = join(import.meta.dirname, "results");
    mkdirSync(directory, { recursive: true });
    const file = join(directory, "trace-propagation.json");
    const report = { at: new Date().toISOString(), node: process.version, seconds: SECONDS, samples, rows };
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`written: ${file}`);
  } finally {
    child.disconnect();
  }
}

if (process.argv[2] === "stub") serveStub();
else await main();
