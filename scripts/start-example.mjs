// `npm start`: the main job on the bundled example, with no AWS account.
// serverless-offline serves the example functions of serverless.yml (Invoke API on port 3002) and
// the amqp-lambda-agent plugin runs the agent against them. Once it consumes, this script publishes
// a few example orders (one of them poison) and shows what the functions did. Ctrl+C stops it all
// (the agent drains in-flight invocations first).
import { existsSync, readFileSync } from "node:fs";
import amqplib from "amqplib";
import { startOffline } from "./offline.mjs";

const AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672/";
const PROBE_DIR = process.env.PROBE_DIR ?? "/tmp/amqp-lambda-agent-example";
const LAMBDA_PORT = Number(process.env.OFFLINE_LAMBDA_PORT ?? 3002);
const safeUrl = AMQP_URL.replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:***@");

async function connect() {
  try {
    return await amqplib.connect(AMQP_URL);
  } catch (error) {
    console.error(`Cannot reach RabbitMQ at ${safeUrl} (${error.message}).`);
    console.error(
      "Start it with `rabbitmq-server -detached` (or `docker run -p 5672:5672 rabbitmq:4`) and run `npm start` again.",
    );
    process.exit(1);
  }
}

const broker = await connect();
const channel = await broker.createConfirmChannel();
console.log(
  `RabbitMQ ${safeUrl}: reachable. Starting serverless-offline with the amqp-lambda-agent plugin...`,
);
const offline = await startOffline({ lambdaPort: LAMBDA_PORT, env: { PROBE_DIR, AMQP_URL }, quiet: false });

const queues = ["orders", "orders-batch", "orders-body"];
const deadline = Date.now() + 60_000;
for (const queue of queues) {
  for (;;) {
    const probe = await broker.createChannel();
    probe.on("error", () => {});
    const consumers = await probe.checkQueue(queue).then(
      (q) => q.consumerCount,
      () => 0,
    );
    await probe.close().catch(() => {});
    if (consumers > 0) break;
    if (Date.now() > deadline) throw new Error(`the agent did not start consuming ${queue} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const orders = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, item: "book", quantity: i + 1 }));
orders.push({ id: 99, item: "poison", fail: true });
for (const order of orders) {
  channel.publish("orders", "order.created", Buffer.from(JSON.stringify(order)), {
    contentType: "application/json",
    persistent: true,
  });
}
await channel.waitForConfirms();
console.log(
  `\nPublished ${orders.length} orders to exchange "orders" (routing key order.created); order 99 always fails.`,
);

await new Promise((resolve) => setTimeout(resolve, 5000));
for (const queue of queues) {
  const file = `${PROBE_DIR}/${queue}.jsonl`;
  const handled = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0;
  const dlq = await channel.checkQueue(`${queue}.dlq`).then(
    (q) => q.messageCount,
    () => 0,
  );
  console.log(`  ${queue.padEnd(13)} handled ${handled} message(s); ${dlq} in ${queue}.dlq`);
}
console.log(
  `\nRecords: ${PROBE_DIR}/*.jsonl. Metrics: the agent logs a summary line every 30 s. Ctrl+C to stop.`,
);
await broker.close();

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping serverless-offline and the agent (draining)...");
  await offline.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
await offline.exited;
if (!stopping) process.exit(1);
