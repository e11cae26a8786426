/**
 * amqp-lambda-agent as a library: the config loader, the config types, and the event contract
 * (the Lambda event the agent sends and the batch response it reads).
 *
 * @module amqp-lambda-agent
 */
export { loadConfigFile, parseDuration, resolveConfig } from "./config/index.js";
export type * from "./config/types.js";
export { AgentError, type AgentErrorCode, ConfigError } from "./errors.js";
export type * from "./event/rabbitmq-event.js";
