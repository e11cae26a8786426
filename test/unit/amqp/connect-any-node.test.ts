import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import amqplib from "amqplib";
import { connectAnyNode } from "../../../src/amqp/connect-any-node.js";
import { agentConfig } from "../pipeline/fakes.js";

const config = agentConfig({ amqp: { host: ["amqp://u:secret@a:5672/", "amqp://u:secret@b:5673/"] } });

describe("connectAnyNode", () => {
  it("the first node that answers, in the order given; its model never throws 'error' unheard", async (t) => {
    const model = new EventEmitter();
    const tried: string[] = [];
    t.mock.method(amqplib, "connect", async (url: string) => {
      tried.push(url);
      if (url.includes("@a:")) throw new Error("ECONNREFUSED");
      return model;
    });
    assert.equal(await connectAnyNode(config, {}), model);
    assert.deepEqual(tried, config.amqp.urls);
    assert.equal(model.listenerCount("error"), 1);
    model.emit("error", new Error("later"));
  });

  it("no node answers: one error naming each node (never its credentials)", async (t) => {
    t.mock.method(amqplib, "connect", async (url: string) => {
      throw new Error(url.includes("@a:") ? "ECONNREFUSED" : "ETIMEDOUT");
    });
    await assert.rejects(connectAnyNode(config, {}), (error: Error) => {
      assert.equal(error.message, "no broker node answered (a:5672: ECONNREFUSED; b:5673: ETIMEDOUT)");
      return true;
    });
  });
});
