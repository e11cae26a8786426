import { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type { Construct } from "constructs";

/**
 * ECS tasks of this account only (`aws:SourceAccount`), so another account's ECS cannot be made to
 * assume the roles (the confused-deputy problem).
 */
function ecsTasksOfThisAccount(scope: Construct): iam.IPrincipal {
  return new iam.ServicePrincipal("ecs-tasks.amazonaws.com").withConditions({
    StringEquals: { "aws:SourceAccount": Stack.of(scope).account },
  });
}

/** The role ECS starts the task with; the task definition grants it the log group, the image, the secrets. */
export function executionRole(scope: Construct, id: string): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: ecsTasksOfThisAccount(scope),
    description: "amqp-lambda-agent: starts the poller task (its log group, its image, its secrets)",
  });
}

/** ARNs of the functions and of their versions and aliases (`<function ARN>:<qualifier>`). */
export function invokeResources(functions: readonly lambda.IFunction[]): string[] {
  return functions.flatMap((fn) => [fn.functionArn, `${fn.functionArn}:*`]);
}

/** The task role: `lambda:InvokeFunction` on these functions (and their versions and aliases) only. */
export function invokeRole(scope: Construct, id: string, functions: readonly lambda.IFunction[]): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: ecsTasksOfThisAccount(scope),
    description: "amqp-lambda-agent: invokes the functions its agents deliver messages to, nothing else",
    inlinePolicies: {
      "invoke-amqp-functions": new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            actions: ["lambda:InvokeFunction"],
            resources: invokeResources(functions),
          }),
        ],
      }),
    },
  });
}
