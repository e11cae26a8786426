import { ConfigError } from "../errors.js";
import type { RawAmqp } from "./schema.js";
import type { ReplyConfig, RoutingKeyPart } from "./types.js";

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

/** `async/amqp.reply` → `ReplyConfig` (`undefined`: no replies). `backends`: how many the agent has. */
export function resolveReply(raw: RawAmqp["reply"], at: string, backends: number): ReplyConfig | undefined {
  if (!raw) return undefined;
  if (raw.mode === "reply_to" && (raw.exchange !== undefined || raw.routing_key !== undefined)) {
    throw new ConfigError(
      `${at}.${raw.exchange !== undefined ? "exchange" : "routing_key"}`,
      'mode "reply_to" publishes to the default exchange with each message\'s reply_to; remove exchange and routing_key, or use mode "exchange"',
    );
  }
  if (raw.mode === "exchange" && raw.exchange === undefined) {
    throw new ConfigError(
      `${at}.exchange`,
      'mode "exchange" needs the results exchange, e.g. "exchange": "results" (the agent never declares it)',
    );
  }
  if (raw.backend >= backends) {
    throw new ConfigError(
      `${at}.backend`,
      `names backend ${raw.backend}, but the agent has ${backends} (0 is the first); use an index below ${backends}`,
    );
  }
  const template = raw.routing_key ?? "{{routing_key}}";
  return {
    mode: raw.mode,
    exchange: raw.exchange ?? "",
    routingKey: parseRoutingKeyTemplate(template, `${at}.routing_key`),
    routingKeyTemplate: template,
    persistent: raw.persistent,
    contentType: raw.content_type,
    headers: raw.headers,
    backend: raw.backend,
    expirationMs: raw.expiration,
    onFailure: raw.on_failure,
  };
}

/** Literal text with `{{routing_key}}` and `{{header:NAME}}` placeholders. */
export function parseRoutingKeyTemplate(template: string, at: string): RoutingKeyPart[] {
  const parts: RoutingKeyPart[] = [];
  let from = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match.index > from) parts.push({ text: template.slice(from, match.index) });
    const name = (match[1] as string).trim();
    if (name === "routing_key") parts.push({ from: "routing_key" });
    else if (name.startsWith("header:") && name.length > "header:".length)
      parts.push({ from: "header", name: name.slice("header:".length) });
    else {
      throw new ConfigError(
        at,
        `unknown placeholder "{{${name}}}"; use {{routing_key}} (the input's) or {{header:NAME}}`,
      );
    }
    from = match.index + match[0].length;
  }
  if (from < template.length) parts.push({ text: template.slice(from) });
  if (parts.some((part) => "text" in part && /\{\{|\}\}/.test(part.text))) {
    throw new ConfigError(
      at,
      `"${template}" has an unclosed placeholder; write {{routing_key}} or {{header:NAME}}`,
    );
  }
  return parts;
}
