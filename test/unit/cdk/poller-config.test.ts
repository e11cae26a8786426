import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SecretValue } from "aws-cdk-lib";
import { Annotations, Match } from "aws-cdk-lib/assertions";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { PACKAGE_ROOT } from "../../../src/cdk/agent-image.js";
import { bytesUnder } from "../../helpers/cdk-example.js";
import { pollerStack, testConfig } from "./poller-stack.js";

/** Synthesizes the test stack with the orders agent's `async/amqp` section given these fields. */
function withOrdersAmqp(fields: Record<string, unknown>): () => void {
  return () =>
    pollerStack(({ orders, refunds }) => {
      const [ordersAgent, ...rest] = testConfig(orders, refunds).async_agent as Array<{
        extra_config: Record<string, Record<string, unknown>>;
      }>;
      const amqp = { ...ordersAgent?.extra_config["async/amqp"], ...fields };
      return { config: { async_agent: [{ ...ordersAgent, extra_config: { "async/amqp": amqp } }, ...rest] } };
    });
}

const ORDERS_HOST = 'config.async_agent[0].extra_config["async/amqp"].host';

describe("AmqpLambdaPoller refuses a config that would leak a secret or cannot run", () => {
  it("a literal password in host: an Error naming the JSON path, without the password", () => {
    const password = "s3cr3t-pw-4711";
    assert.throws(
      withOrdersAmqp({ host: `amqp://agent:${password}@rabbit.internal:5672/` }),
      (error: Error) => {
        assert.ok(
          error.message.includes(`${ORDERS_HOST}: a literal password would be written`),
          error.message,
        );
        assert.ok(!error.message.includes(password));
        return true;
      },
    );
  });

  it("also in a list of cluster nodes, and a password that is a token (it would resolve into the template)", () => {
    assert.throws(
      withOrdersAmqp({ host: ["amqp://rabbit-1.internal/", "amqp://agent:pw@rabbit-2.internal/"] }),
      { message: new RegExp(`${literal(ORDERS_HOST)}\\[1\\]: a literal password`) },
    );
    assert.throws(
      withOrdersAmqp({
        host: `amqp://agent:${SecretValue.secretsManager("shop/pw").unsafeUnwrap()}@rabbit.internal/`,
      }),
      { message: new RegExp(`${literal(ORDERS_HOST)}: a literal password`) },
    );
  });

  it("a literal TLS passphrase", () => {
    assert.throws(withOrdersAmqp({ tls: { passphrase: "literal-passphrase" } }), {
      message: /async_agent\[0\]\.extra_config\["async\/amqp"\]\.tls\.passphrase: a literal passphrase/,
    });
  });

  it("a mistake, with the agent loader's message and path (names that are tokens validated as stand-ins)", () => {
    assert.throws(withOrdersAmqp({ prefetch_cout: 5 }), {
      message:
        'AmqpLambdaPoller: config.async_agent[0].extra_config["async/amqp"].prefetch_cout: unknown key "prefetch_cout"; did you mean "prefetch_count"?',
    });
  });

  it('a {{ env "NAME" }} the container will not have (NAME is not in secrets)', () => {
    assert.throws(() => pollerStack(() => ({ secrets: {} })), {
      message: /environment variable AMQP_PASSWORD is not set/,
    });
  });

  it("EMF turned off, or /healthz moved off the health check's port", () => {
    const withOptions = (options: Record<string, unknown>) => () =>
      pollerStack(({ orders, refunds }) => ({
        config: { ...testConfig(orders, refunds), amqp_lambda_agent: options },
      }));
    assert.throws(withOptions({ emf: { enabled: false } }), { message: /emf\.enabled: the scaling policy/ });
    assert.throws(withOptions({ http: { address: "0.0.0.0:8080" } }), {
      message: /health check calls 127\.0\.0\.1:9464/,
    });
  });

  it("props that cannot work", () => {
    const cases: Array<[Parameters<typeof pollerStack>[0], RegExp]> = [
      [() => ({ vpc: undefined }), /give vpc \(a new cluster in it\) or cluster/],
      [() => ({ functions: [] }), /functions: list the functions/],
      [
        () => ({ minCapacity: 3, maxCapacity: 2 }),
        /maxCapacity: expected a whole number, at least minCapacity \(3\), got 2/,
      ],
      [() => ({ minCapacity: 0 }), /minCapacity: expected a whole number, 1 or more/],
      [() => ({ messagesPerTask: 0 }), /messagesPerTask: expected a number above 0/],
      [
        ({ stack }) => ({
          secrets: {
            AMQP_URL: ecs.Secret.fromSecretsManager(
              secretsmanager.Secret.fromSecretNameV2(stack, "Other", "other"),
            ),
          },
        }),
        /secrets\.AMQP_URL: set by the construct from brokerUrlSecret/,
      ],
    ];
    for (const [props, message] of cases) assert.throws(() => pollerStack(props), { message });
  });
});

describe("AmqpLambdaPoller props", () => {
  it("capacity, target, size and retention reach the template; an existing cluster is used as it is", () => {
    const { template, stack } = pollerStack(({ stack, vpc }) => ({
      vpc: undefined,
      cluster: ecs.Cluster.fromClusterAttributes(stack, "Cluster", { clusterName: "shop", vpc }),
      minCapacity: 2,
      maxCapacity: 10,
      messagesPerTask: 50,
      cpu: 512,
      memoryLimitMiB: 1024,
      logRetention: logs.RetentionDays.ONE_MONTH,
      image: ecs.ContainerImage.fromRegistry("123456789012.dkr.ecr.eu-west-1.amazonaws.com/agent:0.2.0"),
    }));
    template.resourceCountIs("AWS::ECS::Cluster", 0);
    template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", {
      MinCapacity: 2,
      MaxCapacity: 10,
      ResourceId: Match.objectLike({ "Fn::Join": ["", Match.arrayWith(["service/shop/"])] }),
    });
    template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 50 }),
    });
    template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      Cpu: "512",
      Memory: "1024",
      ContainerDefinitions: [
        Match.objectLike({ Image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/agent:0.2.0" }),
      ],
    });
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
    assert.ok(
      !JSON.stringify(stack.resolve(template.toJSON())).includes("container-assets"),
      "no image asset",
    );
  });

  it("the default image is an asset of the package: package.json, dist/ and infra/, built by infra/Dockerfile.package", () => {
    const { outdir } = pollerStack();
    const manifest = JSON.parse(readFileSync(join(outdir, "Shop.assets.json"), "utf8"));
    const images = Object.values(manifest.dockerImages) as Array<{
      source: { directory: string; dockerFile: string; platform: string };
    }>;
    assert.equal(images.length, 1);
    const [{ source }] = images as [(typeof images)[0]];
    assert.equal(source.dockerFile, "infra/Dockerfile.package");
    assert.equal(source.platform, "linux/amd64");
    const staged = join(outdir, source.directory);
    const built = existsSync(join(PACKAGE_ROOT, "dist", "cli.js"));
    assert.deepEqual(
      readdirSync(staged).sort(),
      built ? ["dist", "infra", "package.json"] : ["infra", "package.json"],
    );
    assert.ok(existsSync(join(staged, "infra", "Dockerfile.package")));
    if (built) assert.ok(existsSync(join(staged, "dist", "cli.js")));
    assert.ok(bytesUnder(staged) < 5 * 1024 * 1024, `${bytesUnder(staged)} bytes staged`);
  });

  it("warns when the config names a function that is not in functions", () => {
    const { stack } = pollerStack(({ orders }) => ({ functions: [orders] }));
    Annotations.fromStack(stack).hasWarning(
      "/Shop/Poller",
      Match.stringLikeRegexp(
        "config names the function arn:aws:lambda:eu-west-1:123456789012:function:refunds, which is not in functions",
      ),
    );
  });
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
