import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LOGICAL_IDS } from "../../../src/serverless/cloudformation-resources.js";
import { secretSource } from "../../../src/serverless/container-secrets.js";
import { generate } from "../../../src/serverless/hooks.js";
import { compile } from "./compile-template.js";
import { amqpEvent, DEPLOY_CUSTOM, fakeServerless } from "./fake-serverless.js";

const SM = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/key-pass-AbCdEf";
const SM_JSON_KEY = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/api-XyZ123:token::";
const SSM = "arn:aws:ssm:eu-west-1:123456789012:parameter/agent/extra";
const KMS = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

describe("custom.amqpLambdaAgent.secrets", () => {
  it("each entry becomes a container secret, read through a grant on exactly those ARNs", () => {
    const { container, statements } = compile({
      secrets: { AMQP_KEY_PASSPHRASE: SM, API_TOKEN: SM_JSON_KEY, EXTRA: SSM },
    });
    assert.deepEqual(container().Secrets, [
      { Name: "AMQP_URL", ValueFrom: DEPLOY_CUSTOM.amqpLambdaAgent.brokerUrlSecret },
      { Name: "AMQP_KEY_PASSPHRASE", ValueFrom: SM },
      { Name: "API_TOKEN", ValueFrom: SM_JSON_KEY },
      { Name: "EXTRA", ValueFrom: SSM },
    ]);
    const reads = statements(LOGICAL_IDS.executionRole).filter((s) =>
      s.Action.some((action) => /^(secretsmanager|ssm|kms):/.test(action)),
    );
    assert.deepEqual(reads, [
      {
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [
          DEPLOY_CUSTOM.amqpLambdaAgent.brokerUrlSecret,
          SM,
          // IAM wants the secret's ARN, without ECS's json-key suffix.
          "arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/api-XyZ123",
        ],
      },
      { Effect: "Allow", Action: ["ssm:GetParameters"], Resource: SSM },
    ]);
    assert.ok(!JSON.stringify(statements(LOGICAL_IDS.executionRole)).includes('"secretsmanager:*"'));
  });

  it("kms:Decrypt only with kmsKeyArn, on that key", () => {
    const without = JSON.stringify(compile().statements(LOGICAL_IDS.executionRole));
    assert.ok(!without.includes("kms:"));
    const withKey = compile({ kmsKeyArn: KMS }).statements(LOGICAL_IDS.executionRole);
    assert.deepEqual(
      withKey.filter((s) => s.Action.includes("kms:Decrypt")),
      [{ Effect: "Allow", Action: ["kms:Decrypt"], Resource: KMS }],
    );
  });

  it("refuses the names the plugin sets, names also in environment, and names that are not variables", () => {
    assert.throws(() => compile({ secrets: { AMQP_URL: SM } }), /secrets\.AMQP_URL: set by the plugin/);
    assert.throws(
      () => compile({ secrets: { AMQP_LAMBDA_AGENT_CONFIG_JSON: SM } }),
      /secrets\.AMQP_LAMBDA_AGENT_CONFIG_JSON: set by the plugin/,
    );
    assert.throws(
      () => compile({ secrets: { TOKEN: SM }, environment: { TOKEN: "x" } }),
      /secrets\.TOKEN: also in custom\.amqpLambdaAgent\.environment/,
    );
    assert.throws(() => compile({ secrets: { "not-a-name": SM } }), /custom\.amqpLambdaAgent\.secrets/);
  });
});

describe("secret sources", () => {
  it("an SSM parameter name becomes the parameter's ARN", () => {
    const arn = {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/prod/amqp-url",
    };
    assert.deepEqual(secretSource("/prod/amqp-url", "brokerUrlSecret"), {
      valueFrom: arn,
      grants: [{ action: "ssm:GetParameters", resource: arn }],
    });
  });

  it("a URL pasted by mistake is refused without echoing its password (of any length)", () => {
    for (const url of ["amqp://user:pw@host/", "amqps://user:s3cr@t-long@host:5671/vh"]) {
      assert.throws(
        () => secretSource(url, "brokerUrlSecret"),
        (error: Error) => {
          assert.match(error.message, /brokerUrlSecret: expected a Secrets Manager secret ARN/);
          assert.ok(error.message.includes("user:***@host"), error.message);
          assert.ok(!/:pw@|s3cr@t/.test(error.message), error.message);
          return true;
        },
      );
    }
  });

  it("the plugin's error for brokerUrlSecret masks the password too", () => {
    assert.throws(
      () => compile({ brokerUrlSecret: "amqp://agent:hunter2@rabbit:5672/" }),
      (error: Error) => !error.message.includes("hunter2") && error.message.includes("agent:***@rabbit"),
    );
  });
});

describe("TLS passphrases for the deployed agent", () => {
  const withTls = (tls: Record<string, unknown>, custom: Record<string, unknown> = {}) =>
    fakeServerless(
      { orders: { events: [amqpEvent({ host: "amqps://app:pw@broker:5671/", tls })] } },
      { amqpLambdaAgent: { ...DEPLOY_CUSTOM.amqpLambdaAgent, ...custom } },
    );

  it("a literal passphrase is refused, saying how to pass it from a secret", () => {
    assert.throws(
      () => generate(withTls({ passphrase: "correct horse" }), "fargate"),
      (error: Error) => {
        assert.match(
          error.message,
          /^functions\.orders\.events\[0\]\.amqp\.tls\.passphrase: a literal passphrase would be written into the deployed task definition; write passphrase: '\{\{ env "AMQP_KEY_PASSPHRASE" \}\}' and add custom\.amqpLambdaAgent\.secrets\.AMQP_KEY_PASSPHRASE: <Secrets Manager or SSM parameter ARN>$/,
        );
        assert.ok(!error.message.includes("correct horse"));
        return true;
      },
    );
  });

  it('{{ env "NAME" }} must name an entry of the secrets map', () => {
    assert.throws(
      () => generate(withTls({ passphrase: '{{ env "KEY_PASS" }}' }), "fargate"),
      /tls\.passphrase: the container gets no KEY_PASS from a secret; add custom\.amqpLambdaAgent\.secrets\.KEY_PASS/,
    );
    const { file } = generate(
      withTls({ passphrase: '{{ env "KEY_PASS" }}' }, { secrets: { KEY_PASS: SM } }),
      "fargate",
    );
    const amqp = file.async_agent[0]?.extra_config as Record<string, { tls: unknown }>;
    assert.deepEqual(amqp["async/amqp"]?.tls, { passphrase: '{{ env "KEY_PASS" }}' });
  });

  it("offline, or with deploy: false, a literal passphrase stays allowed", () => {
    assert.doesNotThrow(() => generate(withTls({ passphrase: "local-only" }), "offline"));
    assert.doesNotThrow(() => generate(withTls({ passphrase: "local-only" }, { deploy: false }), "fargate"));
  });

  it("the container's config is checked against the container's environment, not this machine's", () => {
    const serverless = fakeServerless(
      { orders: { events: [amqpEvent({ name: '{{ env "QUEUE" }}' })] } },
      DEPLOY_CUSTOM,
    );
    assert.throws(
      () => generate(serverless, "fargate", {}, { QUEUE: "orders" }),
      /environment variable QUEUE is not set/,
    );
    const provided = fakeServerless(
      { orders: { events: [amqpEvent({ name: '{{ env "QUEUE" }}' })] } },
      { amqpLambdaAgent: { ...DEPLOY_CUSTOM.amqpLambdaAgent, environment: { QUEUE: "orders" } } },
    );
    assert.doesNotThrow(() => generate(provided, "fargate", {}, {}));
  });
});
