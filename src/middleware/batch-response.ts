import type { RabbitMQBatchItemFailure, RabbitMQBatchResponse } from "../event/rabbitmq-event.js";
import { toError } from "../shared/to-error.js";
import type { AnyParsedRabbitMQRecord } from "./parsed-event-types.js";

/** Called once per failed record, with the error it failed with. */
export type RabbitMQRecordFailureLogger = (error: Error, record: AnyParsedRabbitMQRecord) => void;

/** Options shared by {@link rabbitMQPartialBatchFailure} and {@link processRecords}. */
export interface RabbitMQFailureLoggingOptions {
  /**
   * Called for each failed record. Default: `console.error` with the queue, vhost, delivery tag
   * and error. `false` disables logging.
   */
  logger?: RabbitMQRecordFailureLogger | false;
}

/** The default failure logger: one `console.error` line per failed record, without the body. */
export const logRecordFailure: RabbitMQRecordFailureLogger = (error, record) => {
  const { queue, vhost, deliveryTag } = record;
  console.error("RabbitMQ record failed", { queue, vhost, deliveryTag, error });
};

/** Error thrown when a record without `deliveryTag` fails: the whole batch must fail instead. */
export class RabbitMQBatchFailureError extends Error {
  override name = "RabbitMQBatchFailureError";
}

function deliveryTagOf(record: AnyParsedRabbitMQRecord, error: Error): string {
  const tag: unknown = (record as { deliveryTag?: unknown }).deliveryTag;
  if (typeof tag === "string" && tag !== "") return tag;
  throw new RabbitMQBatchFailureError(
    `a record of queue "${record.queue}" failed and has no deliveryTag (an Amazon MQ event has no partial batch ` +
      `response), so the whole batch fails: ${error.message}`,
    { cause: error },
  );
}

/**
 * Builds the batch response from per-record outcomes: `failures[i]` is the error of
 * `records[i]`, or `undefined` when it succeeded. Records with a `parseError` always fail.
 * `alreadyFailed` holds identifiers already reported (they are neither repeated nor logged).
 *
 * @throws RabbitMQBatchFailureError when a failed record has no `deliveryTag`.
 */
export function toBatchResponse(
  records: readonly AnyParsedRabbitMQRecord[],
  failures: readonly (Error | undefined)[],
  options: RabbitMQFailureLoggingOptions = {},
  alreadyFailed: readonly RabbitMQBatchItemFailure[] = [],
): RabbitMQBatchResponse {
  const logger = options.logger === undefined ? logRecordFailure : options.logger;
  const batchItemFailures = [...alreadyFailed];
  const seen = new Set(alreadyFailed.map((failure) => failure.itemIdentifier));
  records.forEach((record, index) => {
    const error = record.parseError ?? failures[index];
    if (error === undefined) return;
    const itemIdentifier = deliveryTagOf(record, error);
    if (seen.has(itemIdentifier)) return;
    seen.add(itemIdentifier);
    batchItemFailures.push({ itemIdentifier });
    if (logger) logger(error, record);
  });
  return { batchItemFailures };
}

/** Converts a `Promise.allSettled` result to the per-record failure (or `undefined`). */
export function failureOf(result: PromiseSettledResult<unknown>): Error | undefined {
  return result.status === "rejected" ? toError(result.reason) : undefined;
}
