// A request/reply function (the agent's `reply` setting): each record's answer goes back as its own
// reply through `reply(...)`, listed in `replies` beside `batchItemFailures`. Every invocation of a
// record is recorded (PROBE_DIR/<queue>.jsonl), so a test can count invocations per message.
// A body {"id": n, "fail": "once"} fails the first time (PROBE_DIR/<queue>.<id>.seen marks it),
// {"fail": "always"} every time.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import middy from "@middy/core";
import {
  processRecords,
  rabbitMQParser,
  rabbitMQPartialBatchFailure,
  reply,
} from "amqp-lambda-agent/middleware";
import { record } from "./record.mjs";

const dir = process.env.PROBE_DIR || "/tmp/amqp-lambda-agent-probe";

export const handler = middy()
  .use([rabbitMQParser(), rabbitMQPartialBatchFailure({ logger: false })])
  .handler((event) =>
    processRecords(
      event,
      async (message) => {
        const id = message.body?.id;
        record(message.queue, { id, deliveryTag: message.deliveryTag, batch: event.records.length });
        if (message.body?.sleepMs) await new Promise((resolve) => setTimeout(resolve, message.body.sleepMs));
        if (message.body?.fail === "always") throw new Error(`request ${id} always fails`);
        if (message.body?.fail === "once") {
          const marker = join(dir, `${message.queue}.${id}.seen`);
          if (!existsSync(marker)) {
            writeFileSync(marker, "");
            throw new Error(`request ${id} fails the first time`);
          }
        }
        return reply({ id, answer: id * 2 }, { headers: { "x-answered-by": "replier" } });
      },
      { logger: false },
    ),
  );
