// The smallest useful handler: middy + the agent's middleware. Each record arrives decoded
// (`record.body` is parsed JSON for a JSON content type); a record that throws is reported back
// in `batchItemFailures`, so only it is retried or dead-lettered.
import middy from "@middy/core";
import { processRecords, rabbitMQParser, rabbitMQPartialBatchFailure } from "amqp-lambda-agent/middleware";
import { record } from "./record.mjs";

export const handler = middy()
  .use([rabbitMQParser(), rabbitMQPartialBatchFailure()])
  .handler((event) =>
    processRecords(event, async (message) => {
      if (message.body?.fail) throw new Error(`order ${message.body.id} rejected`);
      record(message.queue, {
        id: message.body?.id,
        routingKey: message.routingKey,
        deliveryTag: message.deliveryTag,
      });
    }),
  );
