/**
 * Lambda-side helpers for functions invoked by amqp-lambda-agent: event types and middy
 * middlewares. No runtime dependencies (middy and aws-lambda are only used for types), but
 * `@aws-sdk/client-s3` (an optional peer, part of the Lambda runtime), loaded only to resolve
 * S3 pointers (`rabbitMQParser({ largePayload })`).
 *
 * @module amqp-lambda-agent/middleware
 */

export type {
  AmazonMQRabbitMQEvent,
  AmazonMQRabbitMQMessage,
  RabbitMQBasicProperties,
  RabbitMQBatchItemFailure,
  RabbitMQBatchResponse,
  RabbitMQEvent,
  RabbitMQHandler,
  RabbitMQHeaderValue,
  RabbitMQMessage,
  RabbitMQReplyEntry,
} from "../event/rabbitmq-event.js";
export { toError } from "../shared/to-error.js";
export {
  failureOf,
  logRecordFailure,
  RabbitMQBatchFailureError,
  type RabbitMQFailureLoggingOptions,
  type RabbitMQRecordFailureLogger,
  toBatchResponse,
} from "./batch-response.js";
export { type DecodedBody, decodeBody, isJsonContentType } from "./decode-body.js";
export { decodeHeaders, decodeHeaderValue, isHeaderBytes } from "./decode-headers.js";
export { isParsedRabbitMQEvent, parseRabbitMQEvent, recordsOf, splitQueueKey } from "./parse-event.js";
export type {
  AnyParsedRabbitMQRecord,
  ParsedRabbitMQEvent,
  ParsedRabbitMQRecord,
  RabbitMQDecodedFields,
  RabbitMQParsedHeaders,
  RabbitMQParsedHeaderValue,
  RabbitMQRecord,
  RabbitMQUnparsableRecord,
} from "./parsed-event-types.js";
export {
  type ProcessRecordsOptions,
  processRecords,
  type RabbitMQRecordFunction,
} from "./process-records.js";
export { type RabbitMQParserOptions, rabbitMQParser } from "./rabbitmq-parser.js";
export {
  type RabbitMQPartialBatchHandlerResult,
  rabbitMQPartialBatchFailure,
} from "./rabbitmq-partial-batch-failure.js";
export { isRabbitMQReply, type RabbitMQReply, reply } from "./reply.js";
export { resolveLargePayloads } from "./resolve-large-payloads.js";
export type { LargePayloadOption, S3ObjectReader } from "./s3-object-reader.js";
export {
  type RabbitMQTraceCarrier,
  type RabbitMQTraceContext,
  type RabbitMQTraceContextSource,
  type RabbitMQTraceLambdaContext,
  traceContextOf,
} from "./trace-context.js";
