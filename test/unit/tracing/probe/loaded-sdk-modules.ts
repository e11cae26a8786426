/**
 * Run in a child process by sdk-loading.test.ts: creates a Tracing with the environment given as
 * JSON in argv[2], runs one traced invocation, and prints which OpenTelemetry SDK, exporter and
 * resource modules the process has loaded.
 */
import { writeSync } from "node:fs";
import { createRequire } from "node:module";
import { createTracing } from "../../../../src/tracing/index.js";
import { tracedMessage, traceparent, w3cTraceId } from "../fixtures.js";

const SDK_MODULE = /node_modules\/@opentelemetry\/(sdk-trace|exporter-|resources|otlp-|semantic-conventions)/;

const env = JSON.parse(process.argv[2] ?? "{}") as Record<string, string>;
const tracing = await createTracing({ enabled: true, parent: "child" }, env);
const invocation = tracing.startInvocation(
  [tracedMessage({ headers: { traceparent: traceparent(w3cTraceId(), "00f067aa0ba902b7") } })],
  "q",
);
const call = invocation.startCall({ kind: "lambda", functionName: "f" });
call.end();
invocation.end();
await tracing.shutdown(100);
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => SDK_MODULE.test(path));
// An export still retrying against the absent collector holds timers: exit as the agent's CLI does,
// after a synchronous write (a pipe's write callback is not waited for).
writeSync(1, JSON.stringify({ mode: tracing.mode, sent: call.headers !== undefined, loaded }));
process.exit(0);
