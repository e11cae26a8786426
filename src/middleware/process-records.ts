import type {
  AmazonMQRabbitMQMessage,
  RabbitMQBatchResponse,
  RabbitMQEvent,
  RabbitMQMessage,
} from "../event/rabbitmq-event.js";
import { toError } from "../shared/to-error.js";
import { type RabbitMQFailureLoggingOptions, toBatchResponse } from "./batch-response.js";
import { recordsOf } from "./parse-event.js";
import type { ParsedRabbitMQEvent, RabbitMQRecord } from "./parsed-event-types.js";
import { replyEntries } from "./reply.js";

/** Processes one record; throwing (or rejecting) with any value marks that record as failed. */
export type RabbitMQRecordFunction<
  TBody = unknown,
  TMessage extends AmazonMQRabbitMQMessage = RabbitMQMessage,
> = (record: RabbitMQRecord<TBody, TMessage>, index: number) => unknown;

/** Options of {@link processRecords}. */
export interface ProcessRecordsOptions extends RabbitMQFailureLoggingOptions {
  /**
   * How many records are processed at the same time: a positive integer or `Infinity`.
   * Default `Infinity` (all at once). Use `1` to process them one after another, in order.
   */
  concurrency?: number;
}

/**
 * Runs `fn` for each record of the event (parsing the event first if {@link rabbitMQParser} has
 * not) and returns the batch response listing the `deliveryTag` of every record that failed, and
 * (`replies`) the reply of every record whose `fn` returned {@link reply}. A record failed when
 * `fn` threw or rejected (non-Error values are converted with {@link toError}), or the record has
 * a `parseError` (then `fn` is not called for it). Waits for all records before returning.
 *
 * Works alone in a plain handler or inside middy, with or without {@link rabbitMQPartialBatchFailure}.
 *
 * @throws RabbitMQBatchFailureError when a failed record has no `deliveryTag` (an event from
 * Amazon MQ itself, which has no partial batch contract): the whole batch fails.
 * @throws RangeError when `concurrency` is not a positive integer or `Infinity`.
 * @example
 * export const handler: RabbitMQHandler = (event) =>
 *   processRecords<Order>(event, async (record) => { await save(record.body); });
 */
export async function processRecords<
  TBody = unknown,
  TMessage extends AmazonMQRabbitMQMessage = RabbitMQMessage,
>(
  event: RabbitMQEvent<TMessage> | ParsedRabbitMQEvent<TBody, TMessage>,
  fn: RabbitMQRecordFunction<TBody, TMessage>,
  options: ProcessRecordsOptions = {},
): Promise<RabbitMQBatchResponse> {
  const concurrency = options.concurrency ?? Number.POSITIVE_INFINITY;
  if (!(Number.isInteger(concurrency) || concurrency === Number.POSITIVE_INFINITY) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer or Infinity, got ${concurrency}`);
  }
  const records = recordsOf<TBody, TMessage>(event);
  const failures: (Error | undefined)[] = records.map(() => undefined);
  const values: unknown[] = records.map(() => undefined);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < records.length) {
      const index = next++;
      const record = records[index];
      if (record === undefined || record.parseError !== undefined) continue;
      try {
        values[index] = await fn(record, index);
      } catch (error) {
        failures[index] = toError(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, records.length) }, worker));
  const response = toBatchResponse(records, failures, options);
  return withReplies(response, records, values);
}

/** Adds `replies` for the records whose handler returned `reply(...)` (none: the response is unchanged). */
export function withReplies(
  response: RabbitMQBatchResponse,
  records: Parameters<typeof replyEntries>[0],
  values: readonly unknown[],
): RabbitMQBatchResponse {
  const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  const replies = [...(response.replies ?? []), ...replyEntries(records, values, failed)];
  return replies.length > 0 ? { ...response, replies } : response;
}
