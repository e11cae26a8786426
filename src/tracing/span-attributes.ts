/**
 * Span attribute names, as the OpenTelemetry semantic conventions name them (messaging for
 * RabbitMQ, FaaS, HTTP client). Plain strings, so the hot path does not load the conventions
 * package; a unit test checks each against `@opentelemetry/semantic-conventions`.
 *
 * @module
 */

export const MESSAGING_ATTRIBUTES = {
  system: "messaging.system",
  destinationName: "messaging.destination.name",
  routingKey: "messaging.rabbitmq.destination.routing_key",
  deliveryTag: "messaging.rabbitmq.message.delivery_tag",
  messageId: "messaging.message.id",
  conversationId: "messaging.message.conversation_id",
  batchMessageCount: "messaging.batch.message_count",
  operationType: "messaging.operation.type",
  operationName: "messaging.operation.name",
} as const;

export const MESSAGING_SYSTEM_RABBITMQ = "rabbitmq";
export const MESSAGING_OPERATION_PROCESS = "process";
export const MESSAGING_OPERATION_SETTLE = "settle";

export const FAAS_ATTRIBUTES = {
  invokedName: "faas.invoked_name",
  invokedProvider: "faas.invoked_provider",
  awsRequestId: "aws.request_id",
} as const;

export const FAAS_PROVIDER_AWS = "aws";

export const HTTP_CLIENT_ATTRIBUTES = {
  requestMethod: "http.request.method",
  serverAddress: "server.address",
  urlFull: "url.full",
  responseStatusCode: "http.response.status_code",
} as const;

export const ERROR_TYPE_ATTRIBUTE = "error.type";
