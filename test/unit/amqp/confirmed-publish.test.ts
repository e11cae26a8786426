import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "amqplib";
import { PUBLISH_ID_HEADER, publishConfirmed } from "../../../src/amqp/confirmed-publish.js";
import { turn } from "../pipeline/fakes.js";
import { FakeChannel } from "./fake-channel.js";

function publish(channel: FakeChannel, headers: Record<string, unknown> = { a: 1 }, timeoutMs = 30_000) {
  return publishConfirmed(
    channel.asConfirmChannel,
    "agent-x",
    "dead-letter",
    Buffer.from("body"),
    { headers, contentType: "text/plain" },
    timeoutMs,
  );
}

describe("publishConfirmed", () => {
  it("publishes mandatory, with its id header and the options given; a confirm resolves 'confirmed'", async () => {
    const channel = new FakeChannel();
    const result = publish(channel);
    const [sent] = channel.publishes;
    assert.equal(sent?.exchange, "agent-x");
    assert.equal(sent?.routingKey, "dead-letter");
    assert.equal(sent?.options.mandatory, true);
    assert.equal(sent?.options.contentType, "text/plain");
    assert.equal(sent?.options.headers?.a, 1);
    assert.equal(typeof sent?.options.headers?.[PUBLISH_ID_HEADER], "string");
    channel.confirm(0);
    assert.equal(await result, "confirmed");
  });

  it("returned by the broker (no queue bound), then confirmed: 'unroutable'", async () => {
    const channel = new FakeChannel();
    const result = publish(channel);
    channel.returnUnroutable(0);
    channel.confirm(0);
    assert.equal(await result, "unroutable");
  });

  it("a return of another publish, or of a message without the id, does not touch this one", async () => {
    const channel = new FakeChannel();
    const first = publish(channel);
    const second = publish(channel);
    channel.returnUnroutable(1);
    channel.emit("return", { properties: { headers: undefined } } as unknown as Message);
    channel.confirm(0);
    channel.confirm(1);
    assert.deepEqual(await Promise.all([first, second]), ["confirmed", "unroutable"]);
    assert.equal(channel.listenerCount("return"), 1, "one return listener per channel");
  });

  it("a nack rejects", async () => {
    const channel = new FakeChannel();
    const result = publish(channel);
    channel.publishes[0]?.callback(new Error("message nacked"));
    await assert.rejects(result, /message nacked/);
  });

  it("a channel that closes rejects (amqplib fails the pending confirms); a late return changes nothing", async () => {
    const channel = new FakeChannel();
    const result = publish(channel);
    channel.publishes[0]?.callback("channel closed");
    await assert.rejects(result, /channel closed/);
    channel.returnUnroutable(0);
    const next = publish(channel);
    channel.confirm(1);
    assert.equal(await next, "confirmed");
  });

  it("no confirm within the timeout rejects, naming the exchange", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const channel = new FakeChannel();
    const result = publish(channel, {}, 250);
    let ended = false;
    result.then(
      () => undefined,
      () => {
        ended = true;
      },
    );
    t.mock.timers.tick(249);
    await turn();
    assert.equal(ended, false);
    t.mock.timers.tick(1);
    await assert.rejects(result, /the broker did not confirm a publish to "agent-x" within 250ms/);
  });
});
