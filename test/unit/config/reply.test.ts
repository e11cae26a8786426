import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRoutingKeyTemplate } from "../../../src/config/resolve-reply.js";
import { agentConfig } from "../pipeline/fakes.js";

describe("async/amqp.reply", () => {
  it("absent: no replies", () => {
    assert.equal(agentConfig().amqp.reply, undefined);
  });

  it("reply_to with its defaults", () => {
    assert.deepEqual(agentConfig({ amqp: { reply: { mode: "reply_to" } } }).amqp.reply, {
      mode: "reply_to",
      exchange: "",
      routingKey: [{ from: "routing_key" }],
      routingKeyTemplate: "{{routing_key}}",
      persistent: true,
      contentType: undefined,
      headers: {},
      backend: 0,
      expirationMs: undefined,
      onFailure: "none",
    });
  });

  it("exchange with every field", () => {
    const reply = agentConfig({
      amqp: {
        reply: {
          mode: "exchange",
          exchange: "results",
          routing_key: "r.{{routing_key}}.{{header:tenant}}",
          persistent: false,
          content_type: "text/plain",
          headers: { a: "b", n: 1 },
          expiration: "1m",
        },
      },
    }).amqp.reply;
    assert.equal(reply?.exchange, "results");
    assert.deepEqual(reply?.routingKey, [
      { text: "r." },
      { from: "routing_key" },
      { text: "." },
      { from: "header", name: "tenant" },
    ]);
    assert.deepEqual(
      [reply?.persistent, reply?.contentType, reply?.expirationMs],
      [false, "text/plain", 60_000],
    );
  });

  const rejects: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      "exchange mode without an exchange",
      { mode: "exchange" },
      /reply\.exchange: mode "exchange" needs the results exchange/,
    ],
    [
      "reply_to with an exchange",
      { mode: "reply_to", exchange: "x" },
      /reply\.exchange: mode "reply_to" publishes to the default exchange/,
    ],
    ["reply_to with a routing key", { mode: "reply_to", routing_key: "k" }, /reply\.routing_key:/],
    ["an unknown mode", { mode: "topic" }, /reply\.mode/],
    [
      "an unknown placeholder",
      { mode: "exchange", exchange: "x", routing_key: "{{body}}" },
      /unknown placeholder "\{\{body\}\}"/,
    ],
    [
      "a backend the agent lacks",
      { mode: "reply_to", backend: 1 },
      /reply\.backend: names backend 1, but the agent has 1/,
    ],
    ["an unknown key", { mode: "reply_to", queue: "q" }, /reply/],
    ["an unknown on_failure", { mode: "reply_to", on_failure: "dead_letter" }, /on_failure/],
  ];
  for (const [name, reply, expected] of rejects) {
    it(`rejects ${name}`, () => assert.throws(() => agentConfig({ amqp: { reply } }), expected));
  }

  it("an unclosed placeholder is rejected", () => {
    assert.throws(() => parseRoutingKeyTemplate("a.{{routing_key", "at"), /unclosed placeholder/);
    assert.deepEqual(parseRoutingKeyTemplate("plain", "at"), [{ text: "plain" }]);
  });
});
