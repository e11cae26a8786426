import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { statusReason } from "../../../src/agent/status-reason.js";

const serving = {
  ready: true,
  stateReason: undefined,
  circuit: "closed",
  breakerDetail: undefined,
  blockedBy: undefined,
};

describe("statusReason", () => {
  it("a ready agent with a closed breaker and an open connection has none", () => {
    assert.equal(statusReason(serving), undefined);
  });

  it("an agent that is not ready gives its state's reason", () => {
    assert.equal(
      statusReason({ ...serving, ready: false, stateReason: "reconnecting: socket closed", circuit: "open" }),
      "reconnecting: socket closed",
    );
  });

  it("a breaker that is not closed names its state and what opened it", () => {
    assert.equal(
      statusReason({ ...serving, circuit: "half_open", breakerDetail: "5 platform failures in a row" }),
      "circuit breaker half-open: 5 platform failures in a row",
    );
  });

  it("a blocked connection comes before the breaker", () => {
    assert.equal(
      statusReason({ ...serving, circuit: "open", breakerDetail: "x", blockedBy: "low on memory" }),
      "the broker blocked the connection (resource alarm: low on memory)",
    );
  });
});
