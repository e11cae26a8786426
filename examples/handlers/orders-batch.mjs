// Partial batch failures without per-record code: the handler looks at the whole batch and returns
// the delivery tags of the messages it could not handle, the contract Lambda uses for SQS.
import middy from "@middy/core";
import { rabbitMQParser } from "amqp-lambda-agent/middleware";
import { record } from "./record.mjs";

export const handler = middy()
  .use(rabbitMQParser())
  .handler(async (event) => {
    const batchItemFailures = [];
    for (const message of event.records) {
      if (message.parseError || message.body?.fail) {
        batchItemFailures.push({ itemIdentifier: message.deliveryTag });
        continue;
      }
      record(message.queue, {
        id: message.body.id,
        deliveryTag: message.deliveryTag,
        batch: event.records.length,
      });
    }
    return { batchItemFailures };
  });
