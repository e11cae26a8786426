import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli, writeConfig } from "../helpers/agent-process.js";
import { unzip, zipEntries } from "../helpers/zip.js";
import { event, jsonMessage } from "../unit/middleware/fixtures.js";

const ROOT = join(import.meta.dirname, "../..");
const SERVERLESS = join(ROOT, "node_modules/serverless/bin/serverless.js");
const AMQP_FUNCTIONS = [
  "OrdersLambdaFunction",
  "OrdersDashbatchLambdaFunction",
  "OrdersDashbodyLambdaFunction",
];

interface Result {
  code: number | null;
  output: string;
}

/** `serverless <args>` (osls) with no AWS credentials at all. */
function serverless(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("AWS_")));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVERLESS, ...args], {
      cwd,
      env: {
        ...clean,
        AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
        AWS_CONFIG_FILE: "/nonexistent/config",
        AMQP_LAMBDA_AGENT_OFFLINE: "false",
        SLS_TELEMETRY_DISABLED: "1",
        SLS_NOTIFICATIONS_MODE: "off",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serverless ${args.join(" ")} took over 120s:\n${output}`));
    }, 120_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * A service directory of its own (so `.serverless/` is this test's), with the project's
 * package.json (the plugin resolves as `amqp-lambda-agent/serverless`), dist/ and node_modules/.
 */
function serviceDir(prefix: string, files: Record<string, string>, links: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
  for (const link of ["dist", "node_modules", ...links])
    symlinkSync(join(ROOT, link), join(dir, link), "dir");
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** The files of `.serverless/` (any of them) that contain one of `secrets`, as bytes. */
function filesHolding(dir: string, secrets: string[]): string[] {
  const files = filesUnder(join(dir, ".serverless"));
  assert.ok(files.length >= 3, `.serverless/ holds the package: ${files.join(", ")}`);
  return files.flatMap((file) => {
    const bytes = readFileSync(file);
    return secrets
      .filter((secret) => bytes.includes(secret))
      .map((secret) => `${relative(dir, file)}: ${secret}`);
  });
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read arbitrary CloudFormation properties
type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

function template(dir: string) {
  const resources = JSON.parse(
    readFileSync(join(dir, ".serverless/cloudformation-template-update-stack.json"), "utf8"),
  ).Resources as Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const only = (type: string) => {
    const [found, ...more] = ofType(type);
    assert.ok(found && more.length === 0, `one ${type}`);
    return found;
  };
  const task = () => only("AWS::ECS::TaskDefinition")[1].Properties;
  const container = () => task().ContainerDefinitions[0];
  const roleStatements = (arn: { "Fn::GetAtt": [string, string] }): Statement[] =>
    resources[arn["Fn::GetAtt"][0]]?.Properties.Policies.flatMap(
      (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
    );
  return { resources, ofType, only, task, container, roleStatements };
}

describe("serverless package of the example service (serverless.yml)", () => {
  const password = `pw-${randomBytes(8).toString("hex")}`;
  const brokerUrl = `amqp://agent:${password}@rabbit.internal:5672/`;
  const dir = serviceDir(
    "amqp-lambda-agent-package-",
    { "serverless.yml": readFileSync(join(ROOT, "serverless.yml"), "utf8") },
    ["examples", "bench", "test", ".ci", "src", "infra", "scripts"],
  );
  let result: Result = { code: null, output: "" };
  let t: ReturnType<typeof template>;

  before(async () => {
    result = await serverless(["package"], dir, { AMQP_URL: brokerUrl });
    assert.equal(result.code, 0, `serverless package failed:\n${result.output}`);
    t = template(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("no file under .serverless/ holds the broker password (state, templates, zip)", () => {
    assert.deepEqual(filesHolding(dir, [password, encodeURIComponent(password)]), []);
    assert.ok(!result.output.includes(password), "nor does the command's output");
  });

  it("serverless-state.json keeps the URLs, password masked, in custom and in the events", () => {
    const state = JSON.parse(readFileSync(join(dir, ".serverless/serverless-state.json"), "utf8"));
    const masked = "amqp://agent:***@rabbit.internal:5672/";
    assert.equal(state.service.custom.amqpExample.broker, masked);
    for (const fn of ["orders", "orders-batch", "orders-body"]) {
      assert.equal(state.service.functions[fn].events[0].amqp.host, masked, fn);
    }
  });

  it("the functions run on nodejs24.x and ship only their bundles (handler, @middy/core, the middleware; large-payload also the S3 client)", () => {
    for (const id of AMQP_FUNCTIONS) assert.equal(t.resources[id]?.Properties.Runtime, "nodejs24.x", id);
    const entries = zipEntries(join(dir, ".serverless/amqp-lambda-agent-example.zip"));
    assert.deepEqual(entries.sort(), [
      "examples/dist/large-payload.mjs",
      "examples/dist/orders-batch.mjs",
      "examples/dist/orders-body.mjs",
      "examples/dist/orders.mjs",
      "examples/dist/probe.mjs",
      "examples/dist/replier.mjs",
    ]);
  });

  it("the ECS service scales with the work: target tracking, no fixed DesiredCount", () => {
    const [serviceId, service] = t.only("AWS::ECS::Service");
    assert.equal(service.Properties.LaunchType, "FARGATE");
    assert.equal("DesiredCount" in service.Properties, false);
    const [targetId, target] = t.only("AWS::ApplicationAutoScaling::ScalableTarget");
    assert.equal(target.Properties.ScalableDimension, "ecs:service:DesiredCount");
    assert.deepEqual([target.Properties.MinCapacity, target.Properties.MaxCapacity], [1, 4]);
    assert.deepEqual(target.Properties.ResourceId["Fn::Join"][1][2], { "Fn::GetAtt": [serviceId, "Name"] });
    const [, policy] = t.only("AWS::ApplicationAutoScaling::ScalingPolicy");
    assert.deepEqual(policy.Properties.ScalingTargetId, { Ref: targetId });
    const config = policy.Properties.TargetTrackingScalingPolicyConfiguration;
    assert.equal(config.TargetValue, 100);
    const metrics = config.CustomizedMetricSpecification.Metrics as Array<{
      Id: string;
      MetricStat?: { Metric: { MetricName: string; Dimensions: unknown }; Stat: string };
    }>;
    assert.deepEqual(
      metrics.filter((m) => m.MetricStat).map((m) => [m.MetricStat?.Metric.MetricName, m.MetricStat?.Stat]),
      [
        ["Backlog", "Maximum"],
        ["HeldMessages", "Average"],
        ["RunningTaskCount", "Average"],
      ],
    );
    const [, cluster] = t.only("AWS::ECS::Cluster");
    assert.deepEqual(cluster.Properties.ClusterSettings, [{ Name: "containerInsights", Value: "enabled" }]);
    const config_ = JSON.parse(
      t.container().Environment.find((e: { Name: string }) => e.Name === "AMQP_LAMBDA_AGENT_CONFIG_JSON")
        .Value,
    );
    assert.deepEqual(config_.amqp_lambda_agent.emf, {
      enabled: true,
      namespace: "AmqpLambdaAgent",
      service: "amqp-lambda-agent-example-dev",
      interval: "60s",
    });
  });

  it("the container: read-only root filesystem, no capabilities, no published port, loopback health check", () => {
    const container = t.container();
    assert.equal(container.ReadonlyRootFilesystem, true);
    assert.deepEqual(container.LinuxParameters.Capabilities.Drop, ["ALL"]);
    assert.equal(container.PortMappings, undefined);
    assert.match(container.HealthCheck.Command.join(" "), /http:\/\/127\.0\.0\.1:9464\/healthz/);
    assert.deepEqual(container.Secrets, [
      {
        Name: "AMQP_URL",
        ValueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:amqp-lambda-agent/broker-url-AbCdEf",
      },
    ]);
  });

  it("the task role's only permission is InvokeFunction on the functions with amqp events", () => {
    const statements = t.roleStatements(t.task().TaskRoleArn);
    assert.equal(statements.length, 1, JSON.stringify(statements));
    const [statement] = statements;
    assert.deepEqual([statement?.Action].flat(), ["lambda:InvokeFunction"]);
    const targets = [statement?.Resource].flat() as Array<{ "Fn::GetAtt": [string, string] }>;
    assert.deepEqual(
      targets.map((r) => r["Fn::GetAtt"]).sort(),
      AMQP_FUNCTIONS.map((id) => [id, "Arn"]).sort(),
    );
    for (const id of AMQP_FUNCTIONS) assert.equal(t.resources[id]?.Type, "AWS::Lambda::Function", id);
    assert.equal(t.resources.ProbeLambdaFunction?.Type, "AWS::Lambda::Function");
    const role = JSON.stringify(t.resources[t.task().TaskRoleArn["Fn::GetAtt"][0]]);
    assert.ok(!role.includes("ProbeLambdaFunction"), "probe has no amqp event");
    assert.ok(!role.includes('"*"'), "no wildcard in the task role");
  });

  it("the execution role: this log group, this ECR repository, the broker secret; trusted by this account only", () => {
    const roleId = t.task().ExecutionRoleArn["Fn::GetAtt"][0];
    const role = t.resources[roleId];
    assert.equal(role?.Properties.ManagedPolicyArns, undefined, "not AmazonECSTaskExecutionRolePolicy");
    const statements = t.roleStatements(t.task().ExecutionRoleArn);
    const logGroupId = t.container().LogConfiguration.Options["awslogs-group"].Ref;
    const byAction = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));
    assert.deepEqual(byAction("logs:PutLogEvents")[0]?.Resource, { "Fn::GetAtt": [logGroupId, "Arn"] });
    assert.equal(byAction("ecr:GetAuthorizationToken")[0]?.Resource, "*");
    assert.deepEqual(byAction("ecr:BatchGetImage")[0]?.Resource, {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      "Fn::Sub": "arn:${AWS::Partition}:ecr:us-east-1:123456789012:repository/amqp-lambda-agent",
    });
    const wildcards = statements.filter((s) => s.Resource === "*").flatMap((s) => [s.Action].flat());
    assert.deepEqual(wildcards, ["ecr:GetAuthorizationToken"]);
    for (const id of [roleId, t.task().TaskRoleArn["Fn::GetAtt"][0]]) {
      const [trust] = t.resources[id]?.Properties.AssumeRolePolicyDocument.Statement ?? [];
      assert.deepEqual(trust.Condition, { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } });
    }
  });

  it("the log group keeps logs for a bounded time", () => {
    const group = t.container().LogConfiguration.Options["awslogs-group"].Ref;
    assert.equal(t.resources[group]?.Type, "AWS::Logs::LogGroup");
    assert.equal(t.resources[group]?.Properties.RetentionInDays, 14);
  });

  it("every function runs from its zip alone: imported by Node 24 with no other node_modules, invoked once", async () => {
    const agents = JSON.parse(
      t.container().Environment.find((e: { Name: string }) => e.Name === "AMQP_LAMBDA_AGENT_CONFIG_JSON")
        .Value,
    ).async_agent as Array<{
      backend: Array<{ extra_config: { "backend/lambda": Record<string, string> } }>;
    }>;
    const formatOf = (name: string) =>
      agents.map((a) => a.backend[0]?.extra_config["backend/lambda"]).find((l) => l?.function_name === name)
        ?.event_format ?? "rmq";
    const functions = t.ofType("AWS::Lambda::Function");
    assert.equal(functions.length, 6, "orders, orders-batch, orders-body, large-payload, probe and replier");
    for (const [id, fn] of functions) {
      const artifact = join(dir, ".serverless", String(fn.Properties.Code.S3Key).split("/").at(-1) ?? "");
      const format = formatOf(fn.Properties.FunctionName);
      const sample =
        format === "body"
          ? { id: 1, queue: "sample" }
          : event({ "sample::/": [jsonMessage({ id: 1 }, "1")] });
      const result = await invokeFromZip(artifact, fn.Properties.Handler, sample);
      assert.equal(result.code, 0, `${id} (${fn.Properties.Handler}) from ${artifact}:\n${result.stderr}`);
      if (format === "rmq")
        assert.deepEqual(result.value?.batchItemFailures ?? [], [], `${id} handled the message`);
      assert.ok(result.recorded > 0, `${id} ran: it recorded what it handled`);
    }
  });
});

/**
 * Unzips an artifact into a folder of its own outside the repository, imports the handler with Node
 * 24 from there (as Lambda would: `<module>.<export>`, module .js/.mjs/.cjs) and calls it once.
 */
async function invokeFromZip(
  artifact: string,
  handler: string,
  sample: unknown,
): Promise<{
  code: number | null;
  stderr: string;
  value: { batchItemFailures?: unknown[] } | null;
  recorded: number;
}> {
  const task = mkdtempSync(join(tmpdir(), "amqp-lambda-agent-zip-"));
  try {
    unzip(artifact, join(task, "var-task"));
    for (let up = task; up !== dirname(up); up = dirname(up)) {
      assert.ok(!existsSync(join(up, "node_modules")), `no node_modules around the zip (${up})`);
    }
    const cut = handler.lastIndexOf(".");
    const module = join(task, "var-task", handler.slice(0, cut));
    const file = [".js", ".mjs", ".cjs"]
      .map((ext) => module + ext)
      .find((candidate) => existsSync(candidate));
    assert.ok(file, `${handler}: its module is in the zip`);
    const probeDir = join(task, "probe");
    const script = `
      import { pathToFileURL } from "node:url";
      const handler = (await import(pathToFileURL(process.env.HANDLER_FILE).href))[process.env.HANDLER_EXPORT];
      const context = { functionName: "sample", awsRequestId: "1", getRemainingTimeInMillis: () => 30000 };
      process.stdout.write(JSON.stringify((await handler(JSON.parse(process.env.SAMPLE_EVENT), context)) ?? null));`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: join(task, "var-task"),
      env: {
        PATH: process.env.PATH,
        HANDLER_FILE: file,
        HANDLER_EXPORT: handler.slice(cut + 1),
        SAMPLE_EVENT: JSON.stringify(sample),
        PROBE_DIR: probeDir,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    return {
      code,
      stderr,
      value: code === 0 ? JSON.parse(stdout) : null,
      recorded: existsSync(probeDir) ? readdirSync(probeDir).length : 0,
    };
  } finally {
    rmSync(task, { recursive: true, force: true });
  }
}

describe("serverless package of a user's service with secrets, a TLS passphrase and its own VPC", () => {
  const password = `pw-${randomBytes(8).toString("hex")}`;
  const brokerUrl = `amqps://agent:${password}@rabbit.internal:5671/`;
  const secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/key-passphrase-AbCdEf";
  const parameterArn = "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/api-token";
  const kmsKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  const yml = (passphrase: string) => `service: shop
frameworkVersion: ">=3"
provider:
  name: aws
  runtime: nodejs24.x
  region: eu-west-1
  timeout: 20
plugins:
  - amqp-lambda-agent/serverless
custom:
  broker: \${env:AMQP_URL}
  amqpLambdaAgent:
    host: \${env:AMQP_URL}
    image: docker.io/example/amqp-lambda-agent:0.2.0
    brokerUrlSecret: arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/amqp-url-AbCdEf
    kmsKeyArn: ${kmsKeyArn}
    secrets:
      AMQP_KEY_PASSPHRASE: ${secretArn}
      API_TOKEN: ${parameterArn}
    subnets: [subnet-00000000000000001]
    vpcId: vpc-00000000000000001
functions:
  orders:
    handler: handler.handler
    events:
      - amqp:
          host: \${self:custom.broker}
          exchange: orders
          name: orders
          topic: "order.*"
          tls:
            passphrase: '${passphrase}'
`;
  const dir = serviceDir("amqp-lambda-agent-secrets-", {
    "serverless.yml": yml('{{ env "AMQP_KEY_PASSPHRASE" }}'),
    "handler.mjs": "export const handler = async () => undefined;\n",
  });
  let t: ReturnType<typeof template>;

  before(async () => {
    const result = await serverless(["package"], dir, { AMQP_URL: brokerUrl });
    assert.equal(result.code, 0, `serverless package failed:\n${result.output}`);
    t = template(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the secrets map reaches the container as ECS secrets", () => {
    assert.deepEqual(t.container().Secrets, [
      {
        Name: "AMQP_URL",
        ValueFrom: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/amqp-url-AbCdEf",
      },
      { Name: "AMQP_KEY_PASSPHRASE", ValueFrom: secretArn },
      { Name: "API_TOKEN", ValueFrom: parameterArn },
    ]);
  });

  it("the execution role may read exactly those secrets (and decrypt with that key), nothing else", () => {
    const statements = t.roleStatements(t.task().ExecutionRoleArn);
    const reads = statements.filter((s) =>
      [s.Action].flat().some((a) => /^(secretsmanager|ssm|kms):/.test(a)),
    );
    assert.deepEqual(reads, [
      {
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/amqp-url-AbCdEf", secretArn],
      },
      { Effect: "Allow", Action: ["ssm:GetParameters"], Resource: parameterArn },
      { Effect: "Allow", Action: ["kms:Decrypt"], Resource: kmsKeyArn },
    ]);
    assert.ok(!JSON.stringify(statements).includes("ecr:"), "a Docker Hub image needs no ECR permission");
  });

  it("without securityGroups the service gets an egress-only security group in vpcId", () => {
    const [groupId, group] = t.only("AWS::EC2::SecurityGroup");
    assert.equal(group.Properties.VpcId, "vpc-00000000000000001");
    assert.equal(group.Properties.SecurityGroupIngress, undefined);
    const [, service] = t.only("AWS::ECS::Service");
    assert.deepEqual(service.Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups, [
      { "Fn::GetAtt": [groupId, "GroupId"] },
    ]);
    assert.equal(service.Properties.DesiredCount, 1);
  });

  it("consumer.timeout follows the provider's timeout (20 s + 10 s); no password in any file", () => {
    const config = JSON.parse(
      t.container().Environment.find((e: { Name: string }) => e.Name === "AMQP_LAMBDA_AGENT_CONFIG_JSON")
        .Value,
    );
    assert.equal(config.async_agent[0].consumer.timeout, "30s");
    assert.equal(
      config.async_agent[0].extra_config["async/amqp"].tls.passphrase,
      '{{ env "AMQP_KEY_PASSPHRASE" }}',
    );
    assert.deepEqual(filesHolding(dir, [password]), []);
  });

  it("a literal TLS passphrase is refused, and nothing is written", async () => {
    const literal = `tls-${randomBytes(6).toString("hex")}`;
    const refused = serviceDir("amqp-lambda-agent-literal-", {
      "serverless.yml": yml(literal),
      "handler.mjs": "export const handler = async () => undefined;\n",
    });
    try {
      const result = await serverless(["package"], refused, { AMQP_URL: brokerUrl });
      assert.notEqual(result.code, 0, result.output);
      assert.match(
        result.output,
        /functions\.orders\.events\[0\]\.amqp\.tls\.passphrase: a literal passphrase would be written into the deployed task definition; write passphrase: '\{\{ env "AMQP_KEY_PASSPHRASE" \}\}' and add custom\.amqpLambdaAgent\.secrets\.AMQP_KEY_PASSPHRASE/,
      );
      assert.ok(!result.output.includes(literal) && !result.output.includes(password), result.output);
      assert.equal(existsSync(join(refused, ".serverless/serverless-state.json")), false);
    } finally {
      rmSync(refused, { recursive: true, force: true });
    }
  });
});

describe("serverless package of a service with an invalid amqp event", () => {
  it("fails with the message the CLI gives for the same mistake", async () => {
    const dir = mkdtempSync(join(tmpdir(), "amqp-lambda-agent-invalid-"));
    try {
      copyFileSync(join(ROOT, "test/fixtures/serverless/invalid-event.yml"), join(dir, "serverless.yml"));
      mkdirSync(join(dir, "node_modules"));
      symlinkSync(ROOT, join(dir, "node_modules/amqp-lambda-agent"), "dir");
      const result = await serverless(["package", "--package", join(dir, "out")], dir);
      const cli = await runCli([
        "validate",
        "--config",
        writeConfig({
          async_agent: [
            {
              name: "orders",
              consumer: { topic: "order.*" },
              backend: [{ extra_config: { "backend/lambda": { function_name: "f" } } }],
              extra_config: {
                "async/amqp": {
                  host: "amqp://127.0.0.1/",
                  exchange: "orders",
                  name: "orders",
                  prefetch_cout: 5,
                },
              },
            },
          ],
        }),
      ]);
      const cliMessage = /\.prefetch_cout: (.*)$/m.exec(cli.stderr)?.[1];
      assert.equal(cliMessage, 'unknown key "prefetch_cout"; did you mean "prefetch_count"?', cli.stderr);
      assert.notEqual(result.code, 0, result.output);
      assert.ok(
        result.output.includes(`functions.orders.events[0].amqp.prefetch_cout: ${cliMessage}`),
        result.output,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
