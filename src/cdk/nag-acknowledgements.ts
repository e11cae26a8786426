import { Stack, Validations } from "aws-cdk-lib";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type { IConstruct } from "constructs";

export interface NagAcknowledgementsInput {
  taskRole: IConstruct;
  executionRole: IConstruct;
  taskDefinition: IConstruct;
  functions: readonly lambda.IFunction[];
}

/**
 * The cdk-nag AwsSolutions findings the poller cannot avoid, acknowledged (CDK's `Validations`, which
 * cdk-nag 3 reads) with the reason, each on the one resource and finding it is about.
 */
export function acknowledgeNagRules(input: NagAcknowledgementsInput): void {
  const stack = Stack.of(input.taskRole);
  for (const fn of input.functions) {
    const versions = flatten(stack.resolve(`${fn.functionArn}:*`));
    Validations.of(input.taskRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${versions}]`,
      reason:
        "lambda:InvokeFunction on this function's versions and aliases (<function ARN>:<qualifier>), so an agent may name a qualified function; the function itself is granted by its exact ARN",
    });
  }
  Validations.of(input.executionRole).acknowledge({
    id: "AwsSolutions-IAM5[Resource::*]",
    reason:
      "ecr:GetAuthorizationToken, to pull the image asset, has no resource-level permissions (it must be *); pulling is limited to the asset's repository",
  });
  Validations.of(input.taskDefinition).acknowledge({
    id: "AwsSolutions-ECS2",
    reason:
      'the one environment variable is the agent\'s config (AMQP_LAMBDA_AGENT_CONFIG_JSON), which holds no secret: broker URLs say {{ env "AMQP_URL" }} and come from Secrets Manager as ECS secrets, and the construct refuses a literal password',
  });
}

/** A resolved CloudFormation value as cdk-nag names it in a finding (`<Logical.Arn>:*`, `<AWS::Partition>`). */
export function flatten(value: unknown): string {
  if (typeof value === "string") return value.replace(/\$\{/g, "<").replace(/\}/g, ">");
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const node = value as Record<string, unknown>;
  if (Array.isArray(node["Fn::Join"])) {
    const [delimiter, items] = node["Fn::Join"] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if ("Fn::Sub" in node) return flatten(node["Fn::Sub"]);
  if (Array.isArray(node["Fn::GetAtt"])) {
    const [resource, attribute] = node["Fn::GetAtt"] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if ("Fn::ImportValue" in node) return flatten(node["Fn::ImportValue"]);
  if ("Ref" in node) return `<${flatten(node.Ref)}>`;
  return JSON.stringify(value);
}
