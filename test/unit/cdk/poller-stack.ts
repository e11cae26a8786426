// A stack with the poller, synthesized offline (no credentials, no lookups): a VPC and a secret
// imported by attributes, one function defined in the stack (its name is a token) and one imported.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Stack, Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { AwsSolutionsChecks } from "cdk-nag";
import { AmqpLambdaPoller, type AmqpLambdaPollerProps } from "../../../src/cdk/index.js";

export const BROKER_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/amqp-url-AbCdEf";
export const PASSWORD_SECRET_ARN =
  "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/refunds-password-AbCdEf";
export const REFUNDS_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:refunds";
export const PRIVATE_SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"];

export interface PollerStack {
  app: App;
  stack: Stack;
  poller: AmqpLambdaPoller;
  orders: lambda.Function;
  refunds: lambda.IFunction;
  template: Template;
  /** The cloud assembly's folder. */
  outdir: string;
}

type Overrides = Partial<AmqpLambdaPollerProps> & { config?: AmqpLambdaPollerProps["config"] };

/** The agent config of the test stack: `orders` with no host, `refunds` on a user-only URL. */
export function testConfig(
  orders: lambda.IFunction,
  refunds: lambda.IFunction,
): AmqpLambdaPollerProps["config"] {
  return {
    async_agent: [
      {
        name: "orders",
        consumer: { topic: "order.*", workers: 5, timeout: "40s" },
        backend: [{ extra_config: { "backend/lambda": { function_name: orders.functionName } } }],
        extra_config: { "async/amqp": { exchange: "orders", name: "orders", prefetch_count: 10 } },
      },
      {
        name: "refunds",
        consumer: { topic: "refund.*" },
        backend: [
          { extra_config: { "backend/lambda": { function_name: refunds.functionArn, batch_size: 10 } } },
        ],
        extra_config: {
          "async/amqp": {
            host: 'amqps://agent:{{ env "AMQP_PASSWORD" }}@rabbit.internal:5671/',
            exchange: "refunds",
            name: "refunds",
          },
        },
      },
    ],
  };
}

/**
 * Synthesizes the test stack with cdk-nag's AwsSolutions pack (a violation fails the synthesis).
 * `props` builds the poller's props from the stack's functions (defaults: the test config).
 */
export function pollerStack(
  props: (scope: {
    orders: lambda.IFunction;
    refunds: lambda.IFunction;
    stack: Stack;
    vpc: ec2.IVpc;
  }) => Overrides = () => ({}),
): PollerStack {
  const outdir = mkdtempSync(join(tmpdir(), "amqp-lambda-agent-cdk-"));
  const app = new App({ outdir });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, "Shop", { env: { account: "123456789012", region: "eu-west-1" } });
  const { orders, refunds } = functions(stack);
  const vpc = ec2.Vpc.fromVpcAttributes(stack, "Vpc", {
    vpcId: "vpc-0123456789abcdef0",
    availabilityZones: ["eu-west-1a", "eu-west-1b"],
    privateSubnetIds: PRIVATE_SUBNETS,
  });
  const overrides = props({ orders, refunds, stack, vpc });
  const poller = new AmqpLambdaPoller(stack, "Poller", {
    vpc,
    brokerUrlSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, "BrokerUrl", BROKER_SECRET_ARN),
    functions: [orders, refunds],
    config: testConfig(orders, refunds),
    secrets: {
      AMQP_PASSWORD: ecs.Secret.fromSecretsManager(
        secretsmanager.Secret.fromSecretCompleteArn(stack, "RefundsPassword", PASSWORD_SECRET_ARN),
      ),
    },
    ...overrides,
  });
  return { app, stack, poller, orders, refunds, template: Template.fromStack(stack), outdir };
}

/** `orders` in the stack (its name a token; its role has no policy, so nag has nothing to say), `refunds` imported. */
function functions(stack: Stack): { orders: lambda.Function; refunds: lambda.IFunction } {
  const orders = new lambda.Function(stack, "Orders", {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: "index.handler",
    code: lambda.Code.fromInline("export const handler = async () => ({ batchItemFailures: [] });"),
    role: new iam.Role(stack, "OrdersRole", { assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com") }),
  });
  const refunds = lambda.Function.fromFunctionArn(stack, "Refunds", REFUNDS_ARN);
  return { orders, refunds };
}
