/**
 * amqp-lambda-agent for the AWS CDK: `AmqpLambdaPoller`, the agent as an ECS Fargate service.
 * `aws-cdk-lib` and `constructs` are peer dependencies.
 *
 * @module amqp-lambda-agent/cdk
 */
export { AmqpLambdaPoller } from "./amqp-lambda-poller.js";
export type { PollerAlarms } from "./poller-alarms.js";
export type { AgentConfigObject, AmqpLambdaPollerProps } from "./poller-props.js";
