/** AMQP 0-9-1 reply codes the agent acts on (amqplib puts them on the error's `code`). */
export const REPLY = {
  accessRefused: 403,
  notFound: 404,
  resourceLocked: 405,
  preconditionFailed: 406,
} as const;

/** The AMQP reply code of an error from amqplib, or `undefined` for other errors (sockets, timeouts). */
export function replyCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/** What to do about a failed declare or check of `what` (e.g. `queue "orders"`), by reply code. */
export function topologyHint(error: Error, what: string): string {
  switch (replyCode(error)) {
    case REPLY.preconditionFailed:
      return `${what}: ${error.message}: it already exists with other settings; make exchange_type/durable/delete/exclusive/queue_arguments match it, delete it, or set "declare": false to use it as it is`;
    case REPLY.accessRefused:
      return `${what}: ${error.message}: the broker user lacks permission; grant it, or declare the topology with another user and set "declare": false`;
    case REPLY.notFound:
      return `${what} does not exist: ${error.message}`;
    case REPLY.resourceLocked:
      return `${what}: ${error.message}: another connection holds it exclusively`;
    default:
      return `${what}: ${error.message}`;
  }
}
