// The example CDK app: two functions and one poller that feeds them from RabbitMQ.
//   CDK_OUTDIR=cdk.out node app.mjs     (or `npx cdk synth` with this folder's cdk.json)
// Synthesizes offline: no AWS account, no lookups, no bundler (the functions are plain .mjs files).
// Deploying needs the broker URL in Secrets Manager first:
//   aws secretsmanager create-secret --name amqp-lambda-agent-example/broker-url \
//     --secret-string 'amqps://agent:...@b-1234.mq.eu-west-1.amazonaws.com:5671/'
import { fileURLToPath } from "node:url";
import { AmqpLambdaPoller } from "amqp-lambda-agent/cdk";
import { App, Duration, Stack } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";

const app = new App();
const stack = new Stack(app, "AmqpLambdaAgentExample");

// Private subnets with a NAT gateway: the tasks reach the broker and the AWS APIs, nothing reaches them.
const vpc = new ec2.Vpc(stack, "Vpc", { maxAzs: 2, natGateways: 1 });

const code = lambda.Code.fromAsset(fileURLToPath(new URL("./functions", import.meta.url)));
const orders = new lambda.Function(stack, "Orders", {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: "orders.handler",
  code,
  timeout: Duration.seconds(30),
});
const refunds = new lambda.Function(stack, "Refunds", {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: "refunds.handler",
  code,
});

new AmqpLambdaPoller(stack, "Poller", {
  vpc,
  // One URL, or a JSON array of the cluster nodes' URLs.
  brokerUrlSecret: secretsmanager.Secret.fromSecretNameV2(
    stack,
    "BrokerUrl",
    "amqp-lambda-agent-example/broker-url",
  ),
  functions: [orders, refunds],
  // The agent config, as in a config file; no `host`: the agents read the secret.
  config: {
    async_agent: [
      {
        name: "orders",
        // The function's timeout (30 s) plus 10 s for a cold start and the round trip.
        consumer: { topic: "order.*", workers: 10, timeout: "40s" },
        backend: [{ extra_config: { "backend/lambda": { function_name: orders.functionName } } }],
        extra_config: {
          "async/amqp": { exchange: "shop", name: "orders", durable: true, prefetch_count: 20 },
        },
      },
      {
        name: "refunds",
        consumer: { topic: "refund.*", workers: 2, timeout: "15s" },
        backend: [
          {
            extra_config: {
              "backend/lambda": { function_name: refunds.functionName, batch_size: 10, batch_window: "1s" },
            },
          },
        ],
        extra_config: { "async/amqp": { exchange: "shop", name: "refunds", durable: true } },
      },
    ],
  },
  maxCapacity: 3,
});

app.synth();
