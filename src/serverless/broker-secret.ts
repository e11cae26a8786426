/** How the container gets the broker URL: the ECS `Secrets` ValueFrom and the IAM statement to read it. */
export interface BrokerSecret {
  valueFrom: unknown;
  statement: { Effect: "Allow"; Action: string[]; Resource: unknown };
}

const allow = (action: string[], resource: unknown) => ({
  Effect: "Allow" as const,
  Action: action,
  Resource: resource,
});

/**
 * `brokerUrlSecret` is a Secrets Manager secret ARN (optionally with ECS's `:json-key::` suffix), an
 * SSM parameter ARN, an SSM parameter name starting with "/", or a CloudFormation intrinsic.
 */
export function brokerSecret(value: unknown): BrokerSecret {
  if (typeof value !== "string") {
    return {
      valueFrom: value,
      statement: allow(["secretsmanager:GetSecretValue", "ssm:GetParameters"], value),
    };
  }
  if (value.startsWith("/")) {
    const arn = {
      "Fn::Sub": `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${value}`,
    };
    return { valueFrom: arn, statement: allow(["ssm:GetParameters"], arn) };
  }
  const parts = value.split(":");
  if (parts[0] === "arn" && parts[2] === "secretsmanager" && parts.length >= 7) {
    // ECS accepts "<secret arn>:<json key>:<stage>:<version>"; IAM wants the secret's own ARN.
    return {
      valueFrom: value,
      statement: allow(["secretsmanager:GetSecretValue"], parts.slice(0, 7).join(":")),
    };
  }
  if (parts[0] === "arn" && parts[2] === "ssm") {
    return { valueFrom: value, statement: allow(["ssm:GetParameters"], value) };
  }
  throw new Error(
    `custom.amqpLambdaAgent.brokerUrlSecret: expected a Secrets Manager secret ARN, an SSM parameter ARN or an SSM parameter name starting with "/", got "${value}"`,
  );
}
