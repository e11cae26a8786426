import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LoadedConfig } from "../../../src/config/types.js";
import { describeConfig } from "../../../src/describe-config.js";
import { agentConfig } from "../pipeline/fakes.js";

const described = (amqp: Record<string, unknown>) =>
  describeConfig({ agents: [agentConfig({ amqp })] } as unknown as LoadedConfig);

describe("validate prints the reply route", () => {
  it("none without reply", () => {
    assert.doesNotMatch(described({}), /reply /);
  });

  it("reply_to: the default exchange to each message's reply_to", () => {
    const text = described({ reply: { mode: "reply_to" } });
    assert.match(text, /reply +default exchange "" --<each message's reply_to>--> the requester/);
    assert.match(
      text,
      /persistent yes, content type the backend's; the message is acked after the broker confirms its reply/,
    );
  });

  it("exchange: the exchange, the routing key template and the properties", () => {
    const text = described({
      reply: {
        mode: "exchange",
        exchange: "results",
        routing_key: "done.{{routing_key}}",
        persistent: false,
        content_type: "text/plain",
        headers: { a: "b" },
        expiration: "30s",
        on_failure: "error_reply",
      },
    });
    assert.match(
      text,
      /reply +exchange results --"done\.\{\{routing_key\}\}"--> its bindings \(never declared/,
    );
    assert.match(
      text,
      /persistent no, content type text\/plain, headers \{"a":"b"\}, expiration 30000ms, an error reply when dead-lettered \(best effort\);/,
    );
  });
});
