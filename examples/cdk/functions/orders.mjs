// An order handler for the agent's Amazon MQ-shaped event (no dependency: the body is decoded by
// hand). A message it cannot handle is reported in batchItemFailures, so only that one is retried.
export const handler = async (event) => {
  const batchItemFailures = [];
  for (const messages of Object.values(event.rmqMessagesByQueue)) {
    for (const message of messages) {
      const order = JSON.parse(Buffer.from(message.data, "base64").toString("utf8"));
      if (!order.id) batchItemFailures.push({ itemIdentifier: message.deliveryTag });
      else console.log(JSON.stringify({ order: order.id, routingKey: message.routingKey }));
    }
  }
  return { batchItemFailures };
};
