import assert from "node:assert/strict";
import { describe, it } from "node:test";
import middy from "@middy/core";
import {
  isRabbitMQReply,
  processRecords,
  rabbitMQParser,
  rabbitMQPartialBatchFailure,
  reply,
} from "../../../src/middleware/index.js";
import { event, invoke, jsonMessage, message, silent } from "./fixtures.js";

const batch = () =>
  event({
    "q::/": [jsonMessage({ n: 1 }, "1"), jsonMessage({ n: -2 }, "2"), jsonMessage({ n: 3 }, "3")],
  });

describe("reply: a record's answer for the agent to publish", () => {
  it("is recognised, and nothing else is", () => {
    assert.equal(isRabbitMQReply(reply({ a: 1 })), true);
    assert.equal(isRabbitMQReply({ body: 1, headers: undefined }), false);
    assert.equal(isRabbitMQReply(null), false);
    assert.equal(isRabbitMQReply("reply"), false);
  });

  it("processRecords lists replies beside the failures, only for records that returned reply(...)", async () => {
    const response = await processRecords(
      batch(),
      (record) => {
        const { n } = record.body as { n: number };
        if (n < 0) throw new Error("negative");
        return n === 1 ? reply({ doubled: n * 2 }, { headers: { "x-by": "test" } }) : { doubled: n * 2 };
      },
      silent,
    );
    assert.deepEqual(response, {
      batchItemFailures: [{ itemIdentifier: "2" }],
      replies: [{ itemIdentifier: "1", body: { doubled: 2 }, headers: { "x-by": "test" } }],
    });
  });

  it("without any reply(...) the response does not grow", async () => {
    const response = await processRecords(batch(), () => ({ ignored: true }), silent);
    assert.deepEqual(response, { batchItemFailures: [] });
  });

  it("a null body is kept as null (the agent sends an empty body)", async () => {
    const raw = event({ "q::/": [message("x", "7")] });
    assert.deepEqual(await processRecords(raw, () => reply(null), silent), {
      batchItemFailures: [],
      replies: [{ itemIdentifier: "7", body: null }],
    });
  });

  it("the partial-batch middleware turns fulfilled reply(...) values into replies", async () => {
    const handler = middy()
      .use(rabbitMQParser())
      .use(rabbitMQPartialBatchFailure({ logger: false }))
      .handler((parsed) =>
        Promise.allSettled(
          parsed.records.map(async (record) => {
            const { n } = record.body as { n: number };
            if (n < 0) throw new Error("negative");
            return reply(`answer ${n}`);
          }),
        ),
      );
    assert.deepEqual(await invoke(handler, batch()), {
      batchItemFailures: [{ itemIdentifier: "2" }],
      replies: [
        { itemIdentifier: "1", body: "answer 1" },
        { itemIdentifier: "3", body: "answer 3" },
      ],
    });
  });

  it("the partial-batch middleware keeps the replies of a batch response (processRecords inside)", async () => {
    const handler = middy()
      .use(rabbitMQPartialBatchFailure({ logger: false }))
      .handler((parsed) => processRecords(parsed, (record) => reply(record.deliveryTag), silent));
    assert.deepEqual(await invoke(handler, event({ "q::/": [message("a", "5")] })), {
      batchItemFailures: [],
      replies: [{ itemIdentifier: "5", body: "5" }],
    });
  });
});
