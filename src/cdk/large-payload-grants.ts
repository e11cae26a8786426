import { Annotations, Duration, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as s3 from "aws-cdk-lib/aws-s3";
import { isPlainObject } from "../shared/is-plain-object.js";
import { flatten } from "./nag-acknowledgements.js";
import type { AgentConfigObject } from "./poller-props.js";

/** The default of `large_payload.key_prefix` (the agent's schema says the same). */
const DEFAULT_KEY_PREFIX = "amqp-lambda-agent/";

export interface LargePayloadGrantsInput {
  bucket: s3.IBucket;
  config: AgentConfigObject;
  taskRole: iam.Role;
  functions: readonly lambda.IFunction[];
  /** How long an object a crash left behind stays (the lifecycle rule of a bucket in this app). */
  expiration: Duration;
}

/** Every `key_prefix` the config's `backend/lambda.large_payload` blocks name, once each. */
export function largePayloadPrefixes(config: AgentConfigObject): string[] {
  const prefixes = new Set<string>();
  for (const agent of config.async_agent) {
    const backends = Array.isArray(agent.backend) ? agent.backend : [];
    for (const backend of backends) {
      const extra = isPlainObject(backend) && isPlainObject(backend.extra_config) ? backend.extra_config : {};
      const lambda = extra["backend/lambda"];
      const large = isPlainObject(lambda) ? lambda.large_payload : undefined;
      if (!isPlainObject(large)) continue;
      prefixes.add(typeof large.key_prefix === "string" ? large.key_prefix : DEFAULT_KEY_PREFIX);
    }
  }
  return [...prefixes];
}

/**
 * `large_payload` on the bucket given: the task role may put and delete objects under each key
 * prefix only, each function may get them there (and use the bucket's KMS key, if it has one); a
 * bucket made in this app gets a lifecycle rule per prefix that removes what a crash between an
 * upload and its delete left behind. Returns the prefixes (none: nothing granted).
 */
export function grantLargePayloads(input: LargePayloadGrantsInput): string[] {
  const prefixes = largePayloadPrefixes(input.config);
  if (prefixes.length === 0) return [];
  const { bucket, taskRole } = input;
  const objects = prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`));
  taskRole.addToPolicy(
    new iam.PolicyStatement({ actions: ["s3:PutObject", "s3:DeleteObject"], resources: objects }),
  );
  bucket.encryptionKey?.grantEncryptDecrypt(taskRole);
  for (const fn of input.functions) {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["s3:GetObject"], resources: objects }));
    bucket.encryptionKey?.grantDecrypt(fn);
  }
  if (bucket instanceof s3.Bucket) {
    for (const prefix of prefixes) {
      bucket.addLifecycleRule({
        prefix,
        expiration: input.expiration,
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      });
    }
  }
  const stack = Stack.of(taskRole);
  const reason =
    "large_payload: objects under the key prefix only (<bucket ARN>/<key_prefix>*): each body gets a key of its own there";
  for (const objectArn of objects) {
    const id = `AwsSolutions-IAM5[Resource::${flatten(stack.resolve(objectArn))}]`;
    Validations.of(taskRole).acknowledge({ id, reason });
    for (const fn of input.functions) if (fn.role) Validations.of(fn.role).acknowledge({ id, reason });
  }
  for (const fn of input.functions) {
    if (!fn.role) {
      Annotations.of(taskRole).addWarningV2(
        "amqp-lambda-agent:largePayloadRead",
        `${fn.node.path}: its role is not in this app; give it s3:GetObject on ${prefixes.map((p) => `<bucket>/${p}*`).join(", ")}`,
      );
    }
  }
  return prefixes;
}
