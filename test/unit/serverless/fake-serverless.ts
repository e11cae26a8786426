import type { ServerlessLike } from "../../../src/serverless/serverless-types.js";

export interface FakeFunction {
  events?: Array<Record<string, unknown>>;
  timeout?: unknown;
}

export const BROKER = "amqp://app:s3cret-pass@broker.example:5672/";

/** A stand-in for osls's `serverless` object: service "shop", stage "dev", region eu-west-1. */
export function fakeServerless(
  functions: Record<string, FakeFunction>,
  custom: Record<string, unknown> = {},
  provider: { timeout?: unknown } = {},
): ServerlessLike & {
  service: {
    functions: Record<string, FakeFunction>;
    provider: { compiledCloudFormationTemplate: { Resources: Record<string, unknown> } };
  };
} {
  return {
    service: {
      service: "shop",
      custom,
      // osls keeps the functions as data on the service, as serverless-state.json shows them.
      functions,
      provider: {
        region: "eu-west-1",
        stage: "dev",
        compiledCloudFormationTemplate: { Resources: {} },
        ...provider,
      },
      getAllFunctions: () => Object.keys(functions),
      getFunction: (key: string) => {
        const fn = functions[key];
        if (!fn) throw new Error(`no function ${key}`);
        return { name: `shop-dev-${key}`, ...fn };
      },
    },
    getProvider: () => ({
      getRegion: () => "eu-west-1",
      getStage: () => "dev",
      naming: {
        getLambdaLogicalId: (key: string) =>
          `${key.charAt(0).toUpperCase()}${key.slice(1).replaceAll("-", "Dash")}LambdaFunction`,
      },
    }),
  };
}

/** The smallest valid `amqp` event, plus overrides. */
export function amqpEvent(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { amqp: { host: BROKER, exchange: "orders", name: "orders", topic: "order.*", ...fields } };
}

/** Deploy settings the Fargate resources need. */
export const DEPLOY_CUSTOM = {
  amqpLambdaAgent: {
    brokerUrlSecret: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:broker-url-AbCdEf",
    image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/amqp-lambda-agent:0.2.0",
    subnets: ["subnet-1", "subnet-2"],
    securityGroups: ["sg-1"],
  },
};
