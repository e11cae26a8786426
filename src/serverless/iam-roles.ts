import type { IamStatement } from "./container-secrets.js";

/**
 * The trust policy of both roles: ECS tasks of this account only (`aws:SourceAccount`), so another
 * account's ECS cannot be made to assume them (the confused-deputy problem).
 */
export const ecsTasksTrust = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Service: "ecs-tasks.amazonaws.com" },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
    },
  ],
};

// <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repository>[:tag][@digest]
const ECR_IMAGE = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/;

/** The ECR repository ARN of a private ECR image, else undefined (Docker Hub, ECR Public, ...). */
export function ecrRepositoryArn(image: string): unknown {
  const match = ECR_IMAGE.exec(image);
  if (!match) return undefined;
  const [, account, region, repository] = match;
  return { "Fn::Sub": `arn:\${AWS::Partition}:ecr:${region}:${account}:repository/${repository}` };
}

/**
 * What ECS itself needs to start the task, instead of the managed AmazonECSTaskExecutionRolePolicy
 * (which allows every log group and every repository): write to this log group, pull this image
 * (GetAuthorizationToken has no resource-level permissions), read these secrets.
 */
export function executionStatements(
  logGroupArn: unknown,
  image: string,
  secretStatements: IamStatement[],
): IamStatement[] {
  const statements: IamStatement[] = [
    { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: logGroupArn },
  ];
  const repository = ecrRepositoryArn(image);
  if (repository !== undefined) {
    statements.push(
      { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
      {
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        Resource: repository,
      },
    );
  }
  return [...statements, ...secretStatements];
}

/**
 * The task role: `lambda:InvokeFunction` on the functions `amqp` events invoke, and
 * `lambda:InvokeFunctionUrl` on those whose URL an `http` target calls signed for Lambda; nothing else.
 */
export function invokeStatements(
  functionLogicalIds: readonly string[],
  functionUrlLogicalIds: readonly string[] = [],
): IamStatement[] {
  const arns = (ids: readonly string[]) => ids.map((id) => ({ "Fn::GetAtt": [id, "Arn"] }));
  const statements: IamStatement[] = [];
  if (functionLogicalIds.length > 0) {
    statements.push({
      Effect: "Allow",
      Action: ["lambda:InvokeFunction"],
      Resource: arns(functionLogicalIds),
    });
  }
  if (functionUrlLogicalIds.length > 0) {
    statements.push({
      Effect: "Allow",
      Action: ["lambda:InvokeFunctionUrl"],
      Resource: arns(functionUrlLogicalIds),
    });
  }
  return statements;
}
