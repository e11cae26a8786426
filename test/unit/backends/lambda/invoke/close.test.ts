import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { INVOKE_PATHS } from "./invoke-paths.js";
import { type LambdaWireStub, startLambdaWireStub } from "./lambda-wire-stub.js";

async function until(condition: () => boolean, what: string, deadlineMs = 3_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("close()", () => {
  let stub: LambdaWireStub;
  before(async () => {
    stub = await startLambdaWireStub((request) =>
      request.body.toString() === "hang" ? { hang: true } : { status: 200, body: "{}" },
    );
  });
  after(() => stub.close());

  for (const { name: client, create } of INVOKE_PATHS) {
    it(`fails the call in flight and later calls as network failures, and closes every socket (${client})`, async () => {
      const invoker = create({ functionName: "fn", endpoint: stub.endpoint, timeoutMs: 30_000, sockets: 2 });
      assert.equal((await invoker.invoke([Buffer.from("{}")], 2)).kind, "ok");
      const requestsBefore = stub.requests.length;
      const hanging = invoker.invoke([Buffer.from("hang")], 4);
      await until(() => stub.requests.length === requestsBefore + 1, "the hanging call to arrive");
      assert.ok(stub.openConnections() >= 1);

      invoker.close();
      const inFlight = await hanging;
      assert.ok(inFlight.kind !== "ok");
      assert.deepEqual([inFlight.kind, inFlight.errorType], ["network", "InvokerClosed"]);

      const later = await invoker.invoke([Buffer.from("{}")], 2);
      assert.ok(later.kind !== "ok");
      assert.deepEqual([later.kind, later.errorType, later.durationMs], ["network", "InvokerClosed", 0]);
      assert.equal(stub.requests.length, requestsBefore + 1, "no call after close()");
      await until(() => stub.openConnections() === 0, "the client to close its sockets");
    });
  }
});
