import { envPlaceholderName } from "../config/env-placeholders.js";
import { BROKER_URL_ENV, CONFIG_ENV } from "../deploy/container-contract.js";
import { redactUrl } from "../observability/redact.js";
import { isPlainObject } from "../shared/is-plain-object.js";
import { CUSTOM_KEY, type PluginOptions } from "./plugin-options.js";
import type { AmqpEvent } from "./serverless-types.js";

export interface IamStatement {
  Effect: "Allow";
  Action: string[];
  Resource: unknown;
}

/** Where ECS reads one secret (`ValueFrom`) and what the execution role needs to read it. */
export interface SecretSource {
  valueFrom: unknown;
  /** IAM action → the resource to allow it on. */
  grants: Array<{ action: string; resource: unknown }>;
}

/** The container's `Secrets` and the execution role's statements that let ECS read exactly those. */
export interface ContainerSecrets {
  secrets: Array<{ Name: string; ValueFrom: unknown }>;
  statements: IamStatement[];
}

const SECRETS_MANAGER = "secretsmanager:GetSecretValue";
const SSM = "ssm:GetParameters";

/**
 * A Secrets Manager secret ARN (optionally with ECS's `:json-key:stage:version` suffix), an SSM
 * parameter ARN, an SSM parameter name starting with "/", or a CloudFormation intrinsic.
 */
export function secretSource(value: unknown, key: string): SecretSource {
  if (typeof value !== "string") {
    return {
      valueFrom: value,
      grants: [SECRETS_MANAGER, SSM].map((action) => ({ action, resource: value })),
    };
  }
  if (value.startsWith("/")) {
    const arn = {
      "Fn::Sub": `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${value}`,
    };
    return { valueFrom: arn, grants: [{ action: SSM, resource: arn }] };
  }
  const parts = value.split(":");
  if (parts[0] === "arn" && parts[2] === "secretsmanager" && parts[5] === "secret" && parts.length >= 7) {
    // ECS accepts "<secret arn>:<json key>:<stage>:<version>"; IAM wants the secret's own ARN.
    return { valueFrom: value, grants: [{ action: SECRETS_MANAGER, resource: parts.slice(0, 7).join(":") }] };
  }
  if (parts[0] === "arn" && parts[2] === "ssm" && parts[5]?.startsWith("parameter/")) {
    return { valueFrom: value, grants: [{ action: SSM, resource: value }] };
  }
  // The value may be a URL pasted by mistake: never echo its password.
  throw new Error(
    `custom.${CUSTOM_KEY}.${key}: expected a Secrets Manager secret ARN (arn:aws:secretsmanager:...:secret:...), an SSM parameter ARN (arn:aws:ssm:...:parameter/...) or an SSM parameter name starting with "/", got "${redactUrl(value)}"`,
  );
}

/** `brokerUrlSecret` as `AMQP_URL`, then every entry of the `secrets` map, with one statement per action. */
export function containerSecrets(options: PluginOptions, brokerUrlSecret: unknown): ContainerSecrets {
  const entries: Array<[string, string, unknown]> = [
    [BROKER_URL_ENV, "brokerUrlSecret", brokerUrlSecret],
    ...Object.entries(options.secrets).map(([name, value]): [string, string, unknown] => [
      name,
      `secrets.${name}`,
      value,
    ]),
  ];
  for (const [name] of entries.slice(1)) {
    if (name === BROKER_URL_ENV || name === CONFIG_ENV) {
      throw new Error(
        `custom.${CUSTOM_KEY}.secrets.${name}: set by the plugin${name === BROKER_URL_ENV ? " from brokerUrlSecret" : ""}; use another name`,
      );
    }
    if (name in options.environment) {
      throw new Error(
        `custom.${CUSTOM_KEY}.secrets.${name}: also in custom.${CUSTOM_KEY}.environment; keep one of them`,
      );
    }
  }
  const byAction = new Map<string, unknown[]>();
  const secrets = entries.map(([name, key, value]) => {
    const source = secretSource(value, key);
    for (const { action, resource } of source.grants) {
      const resources = byAction.get(action) ?? [];
      if (!resources.some((known) => JSON.stringify(known) === JSON.stringify(resource))) {
        resources.push(resource);
      }
      byAction.set(action, resources);
    }
    return { Name: name, ValueFrom: source.valueFrom };
  });
  const statements: IamStatement[] = [...byAction].map(([action, resources]) => ({
    Effect: "Allow",
    Action: [action],
    Resource: resources.length === 1 ? resources[0] : resources,
  }));
  if (options.kmsKeyArn !== undefined) {
    statements.push({ Effect: "Allow", Action: ["kms:Decrypt"], Resource: options.kmsKeyArn });
  }
  return { secrets, statements };
}

/**
 * Deployed, a TLS key passphrase must come from a secret: a literal one would be written into the
 * task definition (and the template). `{{ env "NAME" }}` with NAME in the `secrets` map is accepted.
 */
export function checkPassphrases(events: readonly AmqpEvent[], options: PluginOptions): void {
  for (const event of events) {
    const tls = event.fields.tls;
    if (!isPlainObject(tls) || tls.passphrase === undefined) continue;
    const name = envPlaceholderName(tls.passphrase);
    if (name === undefined) {
      throw new Error(
        `${event.path}.tls.passphrase: a literal passphrase would be written into the deployed task definition; write passphrase: '{{ env "AMQP_KEY_PASSPHRASE" }}' and add custom.${CUSTOM_KEY}.secrets.AMQP_KEY_PASSPHRASE: <Secrets Manager or SSM parameter ARN>`,
      );
    }
    if (!(name in options.secrets)) {
      throw new Error(
        `${event.path}.tls.passphrase: the container gets no ${name} from a secret; add custom.${CUSTOM_KEY}.secrets.${name}: <Secrets Manager or SSM parameter ARN>`,
      );
    }
  }
}
