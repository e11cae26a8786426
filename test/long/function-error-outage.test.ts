import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SuiteBroker } from "../helpers/broker.js";
import { outageScenario } from "../helpers/outage.js";

// Long: `npm run test:long` (about 6 minutes), not part of `npm test`.
describe("a long outage of the function (issue 24)", () => {
  const suite = new SuiteBroker();
  const { outage } = outageScenario(suite);

  it("5 minutes of function errors on every call, 1,000 queued: at most 20 dead-lettered, the rest processed after it", async () => {
    const { dead } = await outage("function_error", 1000, 5 * 60_000);
    assert.ok(dead <= 20, `${dead} dead-lettered (at most 20)`);
  });
});
