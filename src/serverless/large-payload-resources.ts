import type { AgentFile } from "./build-agent-config.js";
import type { IamStatement } from "./container-secrets.js";
import type { PluginOptions } from "./plugin-options.js";

/** Where the agents' `large_payload` bodies go: a bucket and a key prefix. */
export interface LargePayloadPlace {
  bucket: string;
  keyPrefix: string;
}

/** The default of `large_payload.key_prefix` (the agent's schema says the same). */
const DEFAULT_KEY_PREFIX = "amqp-lambda-agent/";
/** The role serverless creates for the service's functions. */
export const FUNCTION_ROLE = "IamRoleLambdaExecution";
export const LARGE_PAYLOAD_IDS = {
  readPolicy: "AmqpLambdaAgentLargePayloadReadPolicy",
  bucket: "AmqpLambdaAgentLargePayloadBucket",
} as const;

interface RawLargePayload {
  bucket?: unknown;
  key_prefix?: unknown;
  sse?: unknown;
  kms_key_id?: unknown;
  region?: unknown;
}

/** The `backend/lambda.large_payload` objects of every agent's backends, as written. */
function rawLargePayloads(file: AgentFile): RawLargePayload[] {
  return file.async_agent.flatMap((agent) =>
    ((agent.backend ?? []) as Array<{ extra_config?: Record<string, unknown> }>).flatMap((backend) => {
      const lambda = backend.extra_config?.["backend/lambda"] as { large_payload?: unknown } | undefined;
      const raw = lambda?.large_payload as RawLargePayload | undefined;
      return raw === undefined || raw === null ? [] : [raw];
    }),
  );
}

/** Every bucket and prefix the agents' `backend/lambda.large_payload` name, once each. */
export function largePayloadPlaces(file: AgentFile): LargePayloadPlace[] {
  const places = new Map<string, LargePayloadPlace>();
  for (const raw of rawLargePayloads(file)) {
    if (typeof raw.bucket !== "string") continue;
    const keyPrefix = typeof raw.key_prefix === "string" ? raw.key_prefix : DEFAULT_KEY_PREFIX;
    places.set(`${raw.bucket}/${keyPrefix}`, { bucket: raw.bucket, keyPrefix });
  }
  return [...places.values()];
}

/**
 * The KMS keys the agents' `large_payload` encrypt with (`"sse": "aws:kms"` and a `kms_key_id`), as
 * ARNs an IAM policy can name: a key ARN as it is, a key id in the stack's account and the bucket's
 * region (`large_payload.region`, else the stack's). An alias cannot be a policy's resource: it is
 * left out (the README says to grant it by hand), and so is S3's own `aws/s3` key (no `kms_key_id`),
 * which needs no grant.
 */
export function largePayloadKmsKeys(file: AgentFile): unknown[] {
  const keys = new Map<string, unknown>();
  for (const raw of rawLargePayloads(file)) {
    const id = raw.sse === "aws:kms" && typeof raw.kms_key_id === "string" ? raw.kms_key_id : undefined;
    if (id === undefined || id.includes("alias/")) continue;
    // S3 uses a key of the bucket's region: `large_payload.region` when given, else the stack's.
    const keyRegion = typeof raw.region === "string" ? raw.region : `\${AWS::Region}`;
    keys.set(
      id,
      id.startsWith("arn:")
        ? id
        : { "Fn::Sub": `arn:\${AWS::Partition}:kms:${keyRegion}:\${AWS::AccountId}:key/${id}` },
    );
  }
  return [...keys.values()];
}

/** `arn:<partition>:s3:::<bucket>/<key_prefix>*`: the objects of one place, nothing else of the bucket. */
export function objectsArn(place: LargePayloadPlace): unknown {
  return { "Fn::Sub": `arn:\${AWS::Partition}:s3:::${place.bucket}/${place.keyPrefix}*` };
}

/**
 * The agent's task role: write and delete the bodies it offloads, under each key prefix only, and
 * encrypt them with the agents' KMS keys.
 */
export function agentLargePayloadStatements(
  places: readonly LargePayloadPlace[],
  kmsKeys: readonly unknown[] = [],
): IamStatement[] {
  if (places.length === 0) return [];
  const statements: IamStatement[] = [
    { Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: places.map(objectsArn) },
  ];
  if (kmsKeys.length > 0)
    statements.push({
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: [...kmsKeys],
    });
  return statements;
}

/**
 * What the stack gets for `large_payload`: the functions' role may read the bodies (`s3:GetObject`
 * under each prefix, when serverless made the role), and, with `largePayloadBucket.create`, the
 * bucket itself: private, encrypted, and a lifecycle rule that removes what a crash between an
 * upload and its delete left behind (after `expirationDays`).
 */
export function largePayloadResources(
  places: readonly LargePayloadPlace[],
  options: PluginOptions,
  template: { Resources: Record<string, unknown> },
  kmsKeys: readonly unknown[] = [],
): Record<string, unknown> {
  if (places.length === 0) return {};
  const resources: Record<string, unknown> = {};
  if (template.Resources[FUNCTION_ROLE] !== undefined) {
    const statements: IamStatement[] = [
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: places.map(objectsArn) },
    ];
    if (kmsKeys.length > 0)
      statements.push({ Effect: "Allow", Action: ["kms:Decrypt"], Resource: [...kmsKeys] });
    resources[LARGE_PAYLOAD_IDS.readPolicy] = {
      Type: "AWS::IAM::Policy",
      Properties: {
        PolicyName: "read-large-payloads",
        Roles: [{ Ref: FUNCTION_ROLE }],
        PolicyDocument: { Version: "2012-10-17", Statement: statements },
      },
    };
  }
  const created = options.largePayloadBucket;
  if (created?.create) {
    const buckets = new Set(places.map((place) => place.bucket));
    if (buckets.size > 1) {
      throw new Error(
        `custom.amqpLambdaAgent.largePayloadBucket.create: the amqp events name ${buckets.size} buckets (${[...buckets].join(", ")}); name one, or create them yourself`,
      );
    }
    resources[LARGE_PAYLOAD_IDS.bucket] = {
      Type: "AWS::S3::Bucket",
      DeletionPolicy: "Delete",
      Properties: {
        BucketName: places[0]?.bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
        },
        LifecycleConfiguration: {
          Rules: places.map((place, index) => ({
            Id: `amqp-lambda-agent-orphans-${index}`,
            Status: "Enabled",
            Prefix: place.keyPrefix,
            ExpirationInDays: created.expirationDays,
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          })),
        },
      },
    };
  }
  return resources;
}
