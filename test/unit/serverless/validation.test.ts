import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../../src/config/index.js";
import { ConfigError } from "../../../src/errors.js";
import { generate } from "../../../src/serverless/hooks.js";
import { amqpEvent, BROKER, fakeServerless } from "./fake-serverless.js";

/** What the CLI says (after the JSON path) about one agent written by hand in a config file. */
function cliMessage(agent: {
  amqp?: object;
  consumer?: object;
  connection?: object;
  lambda?: object;
}): string {
  const file = {
    async_agent: [
      {
        name: "orders",
        consumer: { topic: "order.*", ...agent.consumer },
        connection: { ...agent.connection },
        backend: [{ extra_config: { "backend/lambda": { function_name: "f", ...agent.lambda } } }],
        extra_config: { "async/amqp": { host: BROKER, exchange: "orders", name: "orders", ...agent.amqp } },
      },
    ],
  };
  try {
    resolveConfig(file, {});
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message.slice(error.path.length + 2);
  }
  assert.fail("expected the hand-written config to be rejected too");
}

function pluginError(fields: Record<string, unknown>, eventIndex = 0): string {
  const events: Array<Record<string, unknown>> = [{ http: "GET /" }, amqpEvent()].slice(0, eventIndex);
  events.push(amqpEvent(fields));
  const serverless = fakeServerless({ orders: { events } });
  try {
    generate(serverless, "offline");
  } catch (error) {
    assert.ok(error instanceof Error);
    return error.message;
  }
  assert.fail("expected the amqp event to be rejected");
}

describe("invalid amqp events fail with the CLI's message at the event's place in serverless.yml", () => {
  it("a misspelt key", () => {
    const message = pluginError({ prefetch_cout: 5 });
    assert.equal(
      message,
      'functions.orders.events[0].amqp.prefetch_cout: unknown key "prefetch_cout"; did you mean "prefetch_count"?',
    );
    assert.equal(
      message,
      `functions.orders.events[0].amqp.prefetch_cout: ${cliMessage({ amqp: { prefetch_cout: 5 } })}`,
    );
  });

  it("a misspelt consumer key is suggested from every section", () => {
    assert.match(pluginError({ worker: 5 }), /amqp\.worker: unknown key "worker"; did you mean "workers"\?$/);
  });

  it("a bad consumer value, on the second event", () => {
    assert.equal(
      pluginError({ workers: 0 }, 1),
      `functions.orders.events[1].amqp.workers: ${cliMessage({ consumer: { workers: 0 } })}`,
    );
  });

  it("a bad duration in backend/lambda", () => {
    assert.equal(
      pluginError({ batch_window: "soon" }),
      `functions.orders.events[0].amqp.batch_window: ${cliMessage({ lambda: { batch_window: "soon" } })}`,
    );
  });

  it("a bad connection field in the nested connection block", () => {
    assert.equal(
      pluginError({ connection: { backoff_strategy: "random" } }),
      `functions.orders.events[0].amqp.connection.backoff_strategy: ${cliMessage({ connection: { backoff_strategy: "random" } })}`,
    );
  });

  it("a missing topic", () => {
    const serverless = fakeServerless({
      orders: { events: [{ amqp: { host: BROKER, exchange: "orders", name: "orders" } }] },
    });
    assert.throws(
      () => generate(serverless, "offline"),
      /^Error: functions\.orders\.events\[0\]\.amqp\.topic: is required/,
    );
  });

  it("a cross-field rule (event_format body with batches)", () => {
    assert.equal(
      pluginError({ event_format: "body", batch_size: 5 }),
      `functions.orders.events[0].amqp.event_format: ${cliMessage({ lambda: { event_format: "body", batch_size: 5 } })}`,
    );
  });

  it("function_name is the plugin's to set", () => {
    assert.match(pluginError({ function_name: "other" }), /amqp\.function_name: set by the plugin/);
  });

  it("an amqp event that is not an object", () => {
    const serverless = fakeServerless({ orders: { events: [{ amqp: "orders" }] } });
    assert.throws(
      () => generate(serverless, "offline"),
      /functions\.orders\.events\[0\]\.amqp: expected an object/,
    );
  });

  it("an unknown custom.amqpLambdaAgent key", () => {
    const serverless = fakeServerless(
      { orders: { events: [amqpEvent()] } },
      { amqpLambdaAgent: { desiredCont: 2 } },
    );
    assert.throws(
      () => generate(serverless, "offline"),
      /custom\.amqpLambdaAgent\.desiredCont: unknown key "desiredCont"/,
    );
  });
});
