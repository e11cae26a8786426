/**
 * Type fixture: typical handlers written against the public middleware API. Compiled (never run)
 * by test/unit/middleware/types.test.ts with test/types/tsconfig.json. Each `@ts-expect-error`
 * must stay an error: tsc fails on an unused one.
 */
import { S3Client } from "@aws-sdk/client-s3";
import middy from "@middy/core";
import {
  type AmazonMQRabbitMQEvent,
  type ParsedRabbitMQEvent,
  processRecords,
  type RabbitMQBatchItemFailure,
  type RabbitMQBatchResponse,
  type RabbitMQEvent,
  type RabbitMQHandler,
  type RabbitMQHeaderValue,
  rabbitMQParser,
  rabbitMQPartialBatchFailure,
} from "../../src/middleware/index.js";

interface Order {
  id: string;
  amount: number;
}

declare function save(order: Order): Promise<void>;

/** Without middy: read rmqMessagesByQueue, decode data, return a batch response. */
export const plainHandler: RabbitMQHandler = async (event) => {
  const batchItemFailures: RabbitMQBatchItemFailure[] = [];
  for (const [key, messages] of Object.entries(event.rmqMessagesByQueue)) {
    const [queue = key, vhost = "/"] = key.split("::");
    for (const message of messages) {
      const text = Buffer.from(message.data, "base64").toString("utf8");
      const retries: RabbitMQHeaderValue | undefined = message.basicProperties.headers?.["x-retries"];
      const tag: string = message.deliveryTag;
      const route = `${vhost}/${queue}: ${message.exchange} ${message.routingKey} ${String(retries)}`;
      try {
        if (message.basicProperties.contentType === "application/json") await save(JSON.parse(text) as Order);
        else console.log(route, text);
      } catch {
        batchItemFailures.push({ itemIdentifier: tag });
      }
    }
  }
  return { batchItemFailures };
};

/** Returning nothing is allowed (every message is acknowledged). */
export const voidHandler: RabbitMQHandler = async (event) => {
  console.log(event.eventSourceArn);
};

// @ts-expect-error a batch item failure needs itemIdentifier, not id
export const wrongResponse: RabbitMQHandler = async () => ({ batchItemFailures: [{ id: "x" }] });

export function amazonMQTag(event: AmazonMQRabbitMQEvent): string | undefined {
  const message = event.rmqMessagesByQueue["orders::/"]?.[0];
  // @ts-expect-error messages sent by Amazon MQ itself have no deliveryTag
  return message?.deliveryTag;
}

export const wrongSource: RabbitMQEvent = {
  // @ts-expect-error eventSource is the literal "aws:rmq"
  eventSource: "aws:sqs",
  eventSourceArn: "",
  rmqMessagesByQueue: {},
};

/** With middy and both middlewares, middy-style (Promise.allSettled aligned with event.records). */
export const middyHandler = middy()
  .use(rabbitMQParser<Order>())
  .use(rabbitMQPartialBatchFailure<Order>())
  .handler(async (event) =>
    Promise.allSettled(
      event.records.map(async (record) => {
        if (record.parseError) throw record.parseError;
        const order: Order = record.body;
        const tag: string = record.deliveryTag;
        const raw: Buffer = record.rawBody;
        const header = record.headers["x-tenant"];
        const tenant: string | undefined = typeof header === "string" ? header : undefined;
        console.log(tag, raw.length, tenant, record.queue, record.vhost);
        await save(order);
      }),
    ),
  );

/** With middy and processRecords (the README example). */
export const readmeHandler = middy()
  .use([rabbitMQParser(), rabbitMQPartialBatchFailure()])
  .handler((event) => processRecords(event, async (record) => console.log(record.queue, record.body)));

/** processRecords alone, in a plain handler, with a typed body. */
export const processHandler: RabbitMQHandler = (event): Promise<RabbitMQBatchResponse> =>
  processRecords<Order>(
    event,
    async (record) => {
      const order: Order = record.body;
      // @ts-expect-error records given to the function never have a parse error
      const error: Error = record.parseError;
      console.log(error);
      await save(order);
    },
    { concurrency: 1 },
  );

export function unparsedBody(event: ParsedRabbitMQEvent<Order>): string | Order | undefined {
  const record = event.records[0];
  if (record?.parseError) return record.body.toUpperCase();
  return record?.body;
}

/** Large payloads: pointers resolved with the environment's S3 client, or one of your own. */
export const largePayloadHandlers = [
  middy().use(rabbitMQParser<Order>({ largePayload: true })),
  middy().use(rabbitMQParser({ largePayload: { client: new S3Client({ forcePathStyle: true }) } })),
  // @ts-expect-error a client is an S3Client
  middy().use(rabbitMQParser({ largePayload: { client: "s3" } })),
];
