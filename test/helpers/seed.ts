/** The flags of the seed document's `async/amqp` example (../shared/seeds), exactly as it gives them. */
export const SEED_AMQP_FLAGS = {
  durable: true,
  delete: false,
  exclusive: false,
  no_wait: true,
  prefetch_count: 5,
  auto_ack: false,
  no_local: true,
} as const;
