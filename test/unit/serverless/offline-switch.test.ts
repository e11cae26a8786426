import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { offlineEnabled, readPluginOptions } from "../../../src/serverless/plugin-options.js";

describe("the offline agent switch", () => {
  const on = readPluginOptions({});
  const off = readPluginOptions({ amqpLambdaAgent: { offline: false } });

  it("is on by default and off with custom.amqpLambdaAgent.offline: false", () => {
    assert.equal(offlineEnabled(on, {}), true);
    assert.equal(offlineEnabled(off, {}), false);
  });

  it("AMQP_LAMBDA_AGENT_OFFLINE=false turns it off whatever serverless.yml says", () => {
    for (const value of ["false", "0", "no", "OFF"]) {
      assert.equal(offlineEnabled(on, { AMQP_LAMBDA_AGENT_OFFLINE: value }), false, value);
    }
    assert.equal(offlineEnabled(on, { AMQP_LAMBDA_AGENT_OFFLINE: "true" }), true);
    assert.equal(offlineEnabled(off, { AMQP_LAMBDA_AGENT_OFFLINE: "true" }), false);
  });
});
