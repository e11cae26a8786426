import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ChannelModel } from "amqplib";
import { coalesceWrites } from "../../../src/amqp/coalesce-writes.js";

/** A channel model shaped as amqplib's: a connection whose muxer writes frames to a socket. */
function fakeModel() {
  const calls: string[] = [];
  const out = {
    cork: () => calls.push("cork"),
    uncork: () => calls.push("uncork"),
    write: (frame: string) => calls.push(`write ${frame}`),
  };
  const muxer = {
    out,
    _readIncoming() {
      out.write("ack-1");
      out.write("ack-2");
    },
  };
  return { model: { connection: { muxer } } as unknown as ChannelModel, muxer, calls };
}

describe("coalesceWrites", () => {
  it("corks the socket around one muxer pass, so its frames go out as one write", () => {
    const { model, muxer, calls } = fakeModel();
    assert.equal(coalesceWrites(model), true);
    muxer._readIncoming();
    assert.deepEqual(calls, ["cork", "write ack-1", "write ack-2", "uncork"]);
  });

  it("uncorks even when the pass throws", () => {
    const { model, muxer, calls } = fakeModel();
    muxer._readIncoming = () => {
      throw new Error("boom");
    };
    coalesceWrites(model);
    assert.throws(() => muxer._readIncoming(), /boom/);
    assert.deepEqual(calls, ["cork", "uncork"]);
  });

  it("leaves a model of another shape alone", () => {
    assert.equal(coalesceWrites({} as ChannelModel), false);
    assert.equal(
      coalesceWrites({
        connection: { muxer: { _readIncoming: () => undefined } },
      } as unknown as ChannelModel),
      false,
    );
  });
});
