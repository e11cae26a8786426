import { isPlainObject } from "../shared/is-plain-object.js";
import type { AmqpEvent, ServerlessLike } from "./serverless-types.js";

/** Every function's `amqp` events, in the order of `functions:` and of each `events:` list. */
export function collectAmqpEvents(serverless: ServerlessLike): AmqpEvent[] {
  const events: AmqpEvent[] = [];
  for (const functionKey of serverless.service.getAllFunctions()) {
    const fn = serverless.service.getFunction(functionKey);
    for (const [eventIndex, event] of (fn.events ?? []).entries()) {
      if (!isPlainObject(event) || !("amqp" in event)) continue;
      const path = `functions.${functionKey}.events[${eventIndex}].amqp`;
      const fields = event.amqp;
      if (!isPlainObject(fields)) {
        throw new Error(`${path}: expected an object of agent fields (host, exchange, name, topic, ...)`);
      }
      events.push({ functionKey, eventIndex, path, fields });
    }
  }
  return events;
}

/** The keys of the functions that have at least one `amqp` event. */
export function functionsWithAmqpEvents(events: readonly AmqpEvent[]): string[] {
  return [...new Set(events.map((event) => event.functionKey))];
}

/** Agent name: the function key, plus the event's position when the function has several `amqp` events. */
export function agentName(event: AmqpEvent, events: readonly AmqpEvent[]): string {
  const siblings = events.filter((other) => other.functionKey === event.functionKey);
  return siblings.length > 1 ? `${event.functionKey}-${siblings.indexOf(event)}` : event.functionKey;
}
