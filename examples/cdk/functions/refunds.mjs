// A refund handler that takes batches (batch_size 10): it sums what it refunds and logs it.
export const handler = async (event) => {
  let total = 0;
  for (const messages of Object.values(event.rmqMessagesByQueue)) {
    for (const message of messages) {
      total += JSON.parse(Buffer.from(message.data, "base64").toString("utf8")).amount ?? 0;
    }
  }
  console.log(JSON.stringify({ refunded: total }));
  return { batchItemFailures: [] };
};
