import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REPLY, replyCode, topologyHint } from "../../../src/amqp/amqp-reply.js";
import { replyError } from "./fake-channel.js";

describe("replyCode", () => {
  it("the AMQP reply code amqplib puts on an error; nothing for other errors", () => {
    assert.equal(replyCode(replyError(404, "NOT_FOUND")), 404);
    assert.equal(replyCode(Object.assign(new Error("socket"), { code: "ECONNRESET" })), undefined);
    assert.equal(replyCode(new Error("plain")), undefined);
    assert.equal(replyCode(null), undefined);
    assert.equal(replyCode(undefined), undefined);
  });
});

describe("topologyHint: what to do about a failed declare or check", () => {
  const hint = (code: number) => topologyHint(replyError(code, "x"), 'queue "q"');

  it("406: other settings; match them, delete it, or stop declaring", () => {
    assert.match(
      hint(REPLY.preconditionFailed),
      /^queue "q": .*already exists with other settings; .*"declare": false/,
    );
  });

  it("403: permissions", () => {
    assert.match(hint(REPLY.accessRefused), /the broker user lacks permission/);
  });

  it("404: does not exist", () => {
    assert.match(hint(REPLY.notFound), /^queue "q" does not exist: /);
  });

  it("405: held exclusively by another connection", () => {
    assert.match(hint(REPLY.resourceLocked), /another connection holds it exclusively$/);
  });

  it("anything else: what, and the error", () => {
    assert.equal(topologyHint(new Error("socket closed"), 'queue "q"'), 'queue "q": socket closed');
  });
});
