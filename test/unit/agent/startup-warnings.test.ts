import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startupNotes, startupWarnings } from "../../../src/agent/startup-warnings.js";
import { agentConfig } from "../pipeline/fakes.js";

describe("startupWarnings", () => {
  it("none for the seed example (1 s timeout, 2 attempts, well within consumer_timeout)", () => {
    assert.deepEqual(startupWarnings(agentConfig()), []);
  });

  it("a message that may stay unacked longer than consumer_timeout", () => {
    const [warning, ...rest] = startupWarnings(
      agentConfig({ consumer: { timeout: "5m" }, amqp: { consumer_timeout: "10m" } }),
    );
    assert.deepEqual(rest, []);
    assert.match(
      warning ?? "",
      /may stay unacked for up to 10\.1 min \(2 attempt\(s\) of up to 5\.0 min each/,
    );
    assert.match(warning ?? "", /longer than consumer_timeout 10\.0 min/);
  });

  it("auto_ack never warns about consumer_timeout (nothing is unacked)", () => {
    const config = agentConfig({
      consumer: { timeout: "5m" },
      amqp: { consumer_timeout: "10m", auto_ack: true },
    });
    assert.deepEqual(startupWarnings(config), []);
  });

  it("order_key: a retrying key holds its later messages in the prefetch window", () => {
    const [warning] = startupWarnings(agentConfig({ consumer: { order_key: "routing_key" } }));
    assert.match(warning ?? "", /^order_key: messages of one key run one at a time, in order/);
    assert.match(warning ?? "", /5-message prefetch window/);
  });

  it("durations under a minute are given in seconds", () => {
    const [warning] = startupWarnings(
      agentConfig({ consumer: { timeout: "20s" }, amqp: { consumer_timeout: "30s" } }),
    );
    assert.match(warning ?? "", /of up to 20\.0 s each/);
  });

  it("an HTTP backend's warnings (encoding no-op acked failures in KrakenD) come with the others", () => {
    const config = agentConfig({
      backends: [{ host: ["http://api.internal:8080"], url_pattern: "/orders", encoding: "no-op" }],
    });
    const warnings = startupWarnings(config);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /encoding: "no-op"/);
  });
});

describe("startupNotes", () => {
  it("what an HTTP backend accepts and ignores (KrakenD's response shaping); nothing for Lambda", () => {
    assert.deepEqual(startupNotes(agentConfig()), []);
    const config = agentConfig({
      backends: [{ host: ["http://api.internal:8080"], url_pattern: "/orders", group: "g" }],
    });
    const [note, ...rest] = startupNotes(config);
    assert.deepEqual(rest, []);
    assert.match(note ?? "", /accepted and ignored.*group/);
  });
});
