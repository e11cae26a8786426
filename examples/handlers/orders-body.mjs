// event_format "body": the payload is the message body itself, as KrakenD's Lambda backend sends it.
import { record } from "./record.mjs";

export const handler = async (order) => {
  if (order.fail) throw new Error(`order ${order.id} rejected`);
  record(order.queue ?? "orders-body", { id: order.id });
  return { accepted: order.id };
};
