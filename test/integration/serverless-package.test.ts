import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli, writeConfig } from "../helpers/agent-process.js";

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

// biome-ignore lint/suspicious/noExplicitAny: the tests read arbitrary CloudFormation properties
type Resource = { Type: string; Properties: Record<string, any> };

describe("serverless package of the example service", () => {
  const password = `pw-${randomBytes(8).toString("hex")}`;
  const brokerUrl = `amqp://agent:${password}@rabbit.internal:5672/`;
  const out = mkdtempSync(join(tmpdir(), "amqp-lambda-agent-package-"));
  let text = "";
  let resources: Record<string, Resource> = {};
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  before(async () => {
    const result = await serverless(["package", "--package", out], ROOT, { AMQP_URL: brokerUrl });
    assert.equal(result.code, 0, `serverless package failed:\n${result.output}`);
    text = readFileSync(join(out, "cloudformation-template-update-stack.json"), "utf8");
    resources = JSON.parse(text).Resources;
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it("has the ECS service and its Fargate task definition", () => {
    const [service] = ofType("AWS::ECS::Service");
    const [task] = ofType("AWS::ECS::TaskDefinition");
    assert.ok(service && task);
    assert.deepEqual(service[1].Properties.TaskDefinition, { Ref: task[0] });
    assert.equal(service[1].Properties.LaunchType, "FARGATE");
    assert.equal(service[1].Properties.DesiredCount, 2);
    assert.deepEqual(task[1].Properties.RequiresCompatibilities, ["FARGATE"]);
    const [container] = task[1].Properties.ContainerDefinitions;
    assert.match(container.HealthCheck.Command.join(" "), /\/healthz/);
  });

  it("the task role's only Lambda permission is InvokeFunction on the functions with amqp events", () => {
    const [, task] = ofType("AWS::ECS::TaskDefinition")[0] ?? [];
    const roleId = task?.Properties.TaskRoleArn["Fn::GetAtt"][0];
    const role = resources[roleId];
    assert.equal(role?.Type, "AWS::IAM::Role");
    const statements = role?.Properties.Policies.flatMap(
      (p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement,
    ) as Array<{ Action: string | string[]; Resource: unknown }>;
    const lambdaStatements = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith("lambda:")));
    assert.equal(lambdaStatements.length, 1, JSON.stringify(statements));
    const [statement] = lambdaStatements;
    assert.deepEqual([statement?.Action].flat(), ["lambda:InvokeFunction"]);
    const targets = [statement?.Resource].flat() as Array<{ "Fn::GetAtt": [string, string] }>;
    assert.deepEqual(
      targets.map((r) => r["Fn::GetAtt"]).sort(),
      AMQP_FUNCTIONS.map((id) => [id, "Arn"]).sort(),
    );
    for (const id of AMQP_FUNCTIONS) assert.equal(resources[id]?.Type, "AWS::Lambda::Function", id);
    assert.equal(resources.ProbeLambdaFunction?.Type, "AWS::Lambda::Function");
    assert.ok(!JSON.stringify(role).includes("ProbeLambdaFunction"), "probe has no amqp event");
    assert.ok(!JSON.stringify(role).includes("*"), "no wildcard in the task role");
  });

  it("no broker URL or password in the template; the container reads it from the secret", () => {
    assert.ok(!text.includes(password), "the broker password is in the template");
    assert.ok(!text.includes("rabbit.internal"), "the broker URL is in the template");
    assert.ok(!text.includes("guest:guest"), "the default local URL is in the template");
    const [, task] = ofType("AWS::ECS::TaskDefinition")[0] ?? [];
    const [container] = task?.Properties.ContainerDefinitions ?? [];
    assert.deepEqual(container.Secrets, [
      {
        Name: "AMQP_URL",
        ValueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:amqp-lambda-agent/broker-url-AbCdEf",
      },
    ]);
  });

  it("the log group keeps logs for a bounded time", () => {
    const [, task] = ofType("AWS::ECS::TaskDefinition")[0] ?? [];
    const group = task?.Properties.ContainerDefinitions[0].LogConfiguration.Options["awslogs-group"].Ref;
    assert.equal(resources[group]?.Type, "AWS::Logs::LogGroup");
    assert.equal(resources[group]?.Properties.RetentionInDays, 14);
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
