import { redactUrl } from "../observability/redact.js";
import { isPlainObject } from "../shared/is-plain-object.js";
import type { AgentFile } from "./build-agent-config.js";

const REDACTED = "***";

/** A copy of the config safe to print: broker passwords and TLS passphrases replaced by `***`. */
export function redactAgentFile(file: AgentFile): AgentFile {
  const copy = structuredClone(file);
  for (const agent of copy.async_agent) {
    const extra = agent.extra_config;
    const amqp = isPlainObject(extra) ? extra["async/amqp"] : undefined;
    if (!isPlainObject(amqp)) continue;
    if (typeof amqp.host === "string") amqp.host = redactUrl(amqp.host);
    if (Array.isArray(amqp.host))
      amqp.host = amqp.host.map((url) => (typeof url === "string" ? redactUrl(url) : url));
    if (isPlainObject(amqp.tls) && amqp.tls.passphrase !== undefined) amqp.tls.passphrase = REDACTED;
  }
  return copy;
}
