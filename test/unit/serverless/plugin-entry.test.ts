import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { amqpEvent, DEPLOY_CUSTOM, fakeServerless } from "./fake-serverless.js";

// The CommonJS entry as osls loads it (`require`), built by `npm run build`.
const ENTRY = new URL("../../../dist/serverless/index.cjs", import.meta.url).pathname;

class ServerlessError extends Error {}

function plugin(
  functions: Parameters<typeof fakeServerless>[0],
  custom: Record<string, unknown> = DEPLOY_CUSTOM,
) {
  assert.ok(existsSync(ENTRY), `${ENTRY} is missing: run npm run build`);
  const Plugin = createRequire(import.meta.url)(ENTRY) as new (
    serverless: unknown,
    options: unknown,
    utils: unknown,
  ) => { hooks: Record<string, () => Promise<void>>; commands: Record<string, unknown> };
  const events: Array<[string, string]> = [];
  const serverless = {
    ...fakeServerless(functions, custom),
    classes: { Error: ServerlessError },
    configSchemaHandler: {
      defineFunctionEvent: (provider: string, name: string) => events.push([provider, name]),
      defineCustomProperties: () => undefined,
    },
  };
  const written: string[] = [];
  const instance = new Plugin(serverless, {}, { writeText: (text: string) => written.push(text) });
  return { instance, serverless, events, written };
}

describe("the plugin entry (dist/serverless/index.cjs)", () => {
  it("registers the amqp event, the print command and the package/offline hooks", () => {
    const { instance, events } = plugin({});
    assert.deepEqual(events, [["aws", "amqp"]]);
    assert.ok(instance.commands["amqp-agent"]);
    for (const hook of [
      "amqp-agent:print:print",
      "before:package:initialize",
      "package:compileEvents",
      "before:aws:package:finalize:saveServiceState",
      "after:offline:start:init",
      "before:offline:start:end",
    ]) {
      assert.equal(typeof instance.hooks[hook], "function", hook);
    }
  });

  it("package:compileEvents adds the resources (loading the ESM code lazily)", async () => {
    const { instance, serverless } = plugin({ orders: { events: [amqpEvent()] } });
    await instance.hooks["package:compileEvents"]?.();
    assert.ok(serverless.service.provider.compiledCloudFormationTemplate.Resources.AmqpLambdaAgentService);
  });

  it("an invalid event fails the hook with a ServerlessError carrying the CLI's message", async () => {
    const { instance } = plugin({ orders: { events: [amqpEvent({ prefetch_cout: 5 })] } });
    await assert.rejects(instance.hooks["package:compileEvents"]?.() ?? Promise.resolve(), (error: Error) => {
      assert.ok(error instanceof ServerlessError);
      assert.equal(
        error.message,
        'amqp-lambda-agent: invalid configuration: functions.orders.events[0].amqp.prefetch_cout: unknown key "prefetch_cout"; did you mean "prefetch_count"?',
      );
      return true;
    });
  });

  it("amqp-agent print writes the redacted config", async () => {
    const { instance, written } = plugin({ orders: { events: [amqpEvent()] } });
    await instance.hooks["amqp-agent:print:print"]?.();
    assert.equal(written.length, 1);
    assert.ok(!written[0]?.includes("s3cret-pass"));
    assert.equal(JSON.parse(written[0] ?? "").async_agent[0].name, "orders");
  });

  it("before osls saves serverless-state.json, the service loses its broker passwords", async () => {
    const { instance, serverless } = plugin({ orders: { events: [amqpEvent()] } });
    await instance.hooks["before:aws:package:finalize:saveServiceState"]?.();
    const [event] = serverless.service.getFunction("orders").events ?? [];
    assert.equal((event?.amqp as { host?: string } | undefined)?.host, "amqp://app:***@broker.example:5672/");
  });

  it("an error names no URL's password", async () => {
    const { instance } = plugin(
      { orders: { events: [amqpEvent()] } },
      { amqpLambdaAgent: { ...DEPLOY_CUSTOM.amqpLambdaAgent, brokerUrlSecret: "amqp://app:s3cret-pass@b/" } },
    );
    await assert.rejects(instance.hooks["package:compileEvents"]?.() ?? Promise.resolve(), (error: Error) => {
      assert.match(error.message, /brokerUrlSecret: expected a Secrets Manager secret ARN/);
      assert.ok(!error.message.includes("s3cret-pass"), error.message);
      return true;
    });
  });
});
