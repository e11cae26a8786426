/**
 * The baseline: what a user would write by hand. Consume with prefetch = concurrency, invoke each
 * message with the SDK's default client and handler, ack when the invoke returns. One in-flight
 * invoke per unacked message. Configured by environment variables; stops on SIGTERM.
 */
import { Agent } from "node:http";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import amqplib from "amqplib";
import { Pool } from "undici";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`baseline consumer: ${name} is not set`);
  return value;
};

const connection = await amqplib.connect(env("BENCH_AMQP_URL"));
const channel = await connection.createChannel();
await channel.prefetch(Number(env("BENCH_CONCURRENCY")));
// BENCH_MAX_SOCKETS (optional) gives the "tuned" baseline a handler with that many sockets.
const maxSockets = Number(process.env.BENCH_MAX_SOCKETS ?? 0);
const client = new LambdaClient({
  endpoint: env("BENCH_LAMBDA_ENDPOINT"),
  ...(maxSockets > 0
    ? { requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets }) }) }
    : {}),
});
const functionName = env("BENCH_FUNCTION");

// BENCH_HTTP: the same loop against an HTTP endpoint with undici.request (a keep-alive pool). Against
// the Lambda stub it is the floor: unsigned, no logic, what a consumer costs at the least.
const pool = process.env.BENCH_HTTP
  ? new Pool(env("BENCH_LAMBDA_ENDPOINT"), { connections: Number(env("BENCH_CONCURRENCY")) })
  : undefined;
const path = `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
const post = async (body: Buffer): Promise<void> => {
  const response = await (pool as Pool).request({ path, method: "POST", body });
  await response.body.dump();
  if (response.statusCode < 200 || response.statusCode > 299) throw new Error(`HTTP ${response.statusCode}`);
};

await channel.consume(env("BENCH_QUEUE"), (message) => {
  if (!message) return;
  const sent = pool
    ? post(message.content)
    : client.send(new InvokeCommand({ FunctionName: functionName, Payload: message.content }));
  sent.then(
    () => channel.ack(message),
    () => channel.nack(message),
  );
});

process.once("SIGTERM", () => {
  connection.close().finally(() => process.exit(0));
});
