import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { AgentConfig } from "../config/types.js";
import { ConfigError, toError } from "../errors.js";

/** TLS material read once, at start-up (a missing file is a config error before anything starts). */
export interface TlsMaterial {
  ca?: Buffer[];
  cert?: Buffer;
  key?: Buffer;
  passphrase?: string;
}

export function readTlsMaterial(config: AgentConfig, env: NodeJS.ProcessEnv = process.env): TlsMaterial {
  const tls = config.amqp.tls;
  const at = `async_agent[name=${config.name}].extra_config["async/amqp"].tls`;
  const read = (file: string | undefined, field: string) => {
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ConfigError(`${at}.${field}`, `cannot read ${file}: ${toError(error).message}`);
    }
  };
  const usesTls = config.amqp.urls.some((url) => new URL(url).protocol === "amqps:");
  if (!usesTls) return {};
  const ca = read(tls?.caFile ?? env.AMQP_CA_FILE, "ca_file");
  const cert = read(tls?.certFile ?? env.AMQP_CERT_FILE, "cert_file");
  const key = read(tls?.keyFile ?? env.AMQP_KEY_FILE, "key_file");
  const passphrase = tls?.passphrase ?? env.AMQP_KEY_PASSPHRASE;
  return {
    ...(ca ? { ca: [ca] } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(passphrase ? { passphrase } : {}),
  };
}

/**
 * amqplib's socket options for one node. TLS options apply to every node; the server name checked
 * is `tls.server_name` when set, else the node's own host name.
 */
export function socketOptions(
  config: AgentConfig,
  url: string,
  tls: TlsMaterial,
  role: "consumer" | "publisher" | "replies" = "consumer",
): Record<string, unknown> {
  // The consuming connection keeps the name it always had; the publishing ones are told apart.
  const client = role === "consumer" ? "amqp-lambda-agent" : `amqp-lambda-agent-${role}`;
  const options: Record<string, unknown> = {
    clientProperties: { connection_name: `${client}:${config.name}:${process.pid}` },
    timeout: 10_000,
    // Acks are small frames: send them at once rather than wait for Nagle's algorithm.
    noDelay: true,
  };
  const parsed = new URL(url);
  if (parsed.protocol !== "amqps:") return options;
  Object.assign(options, tls);
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const serverName = config.amqp.tls?.serverName ?? (isIP(host) ? undefined : host);
  if (serverName) options.servername = serverName;
  options.rejectUnauthorized = config.amqp.tls?.rejectUnauthorized ?? true;
  return options;
}

/** The vhost a URL names: the path without its leading slash, `/` when empty. */
export function vhostOf(url: string): string {
  const path = new URL(url).pathname;
  const name = decodeURIComponent(path.replace(/^\//, ""));
  return name === "" ? "/" : name;
}

/** The broker's address without credentials, used as `eventSourceArn` (built from the first URL). */
export function brokerAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname || "/"}`;
}

/** `host:port` of a node, for logs, /readyz and metrics (never the credentials). */
export function nodeAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || (parsed.protocol === "amqps:" ? "5671" : "5672")}`;
}
