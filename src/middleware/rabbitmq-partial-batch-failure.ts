import type { MiddlewareObj } from "@middy/core";
import type {
  AmazonMQRabbitMQMessage,
  RabbitMQBatchResponse,
  RabbitMQMessage,
} from "../event/rabbitmq-event.js";
import { failureOf, type RabbitMQFailureLoggingOptions, toBatchResponse } from "./batch-response.js";
import { parseRabbitMQEvent } from "./parse-event.js";
import type { ParsedRabbitMQEvent } from "./parsed-event-types.js";
import { withReplies } from "./process-records.js";

/** What a handler wrapped with {@link rabbitMQPartialBatchFailure} may return. */
export type RabbitMQPartialBatchHandlerResult =
  | PromiseSettledResult<unknown>[]
  | RabbitMQBatchResponse
  | undefined;

const isSettled = (value: unknown): value is PromiseSettledResult<unknown> =>
  typeof value === "object" &&
  value !== null &&
  ((value as { status?: unknown }).status === "fulfilled" ||
    (value as { status?: unknown }).status === "rejected");

const isBatchResponse = (value: unknown): value is RabbitMQBatchResponse => {
  const failures: unknown = (value as { batchItemFailures?: unknown } | null)?.batchItemFailures;
  return (
    Array.isArray(failures) &&
    failures.every(
      (failure) => typeof (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier === "string",
    )
  );
};

/**
 * Middy middleware turning per-record outcomes into a batch response keyed by `deliveryTag`,
 * like `@middy/sqs-partial-batch-failure`. Its `before` parses the event if {@link rabbitMQParser}
 * has not. In `after`, the handler's response may be:
 * - the `Promise.allSettled` array over `event.records`, same length and order: rejected entries fail,
 *   fulfilled entries whose value is a {@link reply} become `replies` entries;
 * - a {@link RabbitMQBatchResponse} (e.g. from {@link processRecords}): kept as is, with its `replies`;
 * - `undefined`: every record succeeded.
 *
 * In all cases records with a `parseError` are reported as failed too. Any other response, or an
 * array of the wrong length, throws a `TypeError`. When the handler throws, nothing is caught:
 * the whole batch fails. When a failed record has no `deliveryTag` (an event from Amazon MQ
 * itself, which has no partial batch contract) a `RabbitMQBatchFailureError` is thrown so the
 * whole batch fails.
 *
 * @example
 * export const handler = middy()
 *   .use(rabbitMQPartialBatchFailure())
 *   .handler((event) => Promise.allSettled(event.records.map(async (record) => save(record.body))));
 */
export function rabbitMQPartialBatchFailure<
  TBody = unknown,
  TMessage extends AmazonMQRabbitMQMessage = RabbitMQMessage,
>(
  options: RabbitMQFailureLoggingOptions = {},
): MiddlewareObj<ParsedRabbitMQEvent<TBody, TMessage>, RabbitMQPartialBatchHandlerResult> {
  return {
    name: "rabbitMQPartialBatchFailure",
    before: (request) => {
      request.event = parseRabbitMQEvent<TBody, TMessage>(request.event);
    },
    after: (request) => {
      const records = parseRabbitMQEvent(request.event).records;
      const response: unknown = request.response;
      if (response === undefined || response === null) {
        request.response = toBatchResponse(records, [], options);
      } else if (Array.isArray(response)) {
        if (response.length !== records.length || !response.every(isSettled)) {
          throw new TypeError(
            `handler must return the Promise.allSettled results of all ${records.length} records, ` +
              `got an array of ${response.length} ${response.every(isSettled) ? "results" : "non-settled values"}`,
          );
        }
        const batch = toBatchResponse(records, response.map(failureOf), options);
        const values = response.map((result) => (result.status === "fulfilled" ? result.value : undefined));
        request.response = withReplies(batch, records, values);
      } else if (isBatchResponse(response)) {
        const batch = toBatchResponse(records, [], options, response.batchItemFailures);
        request.response = response.replies ? { ...batch, replies: response.replies } : batch;
      } else {
        throw new TypeError(
          "handler must return Promise.allSettled results, a { batchItemFailures } response or nothing",
        );
      }
    },
  };
}
