import { readFileSync } from "node:fs";
import type { AgentConfig } from "../config/types.js";
import { ConfigError, toError } from "../errors.js";

/** Socket options for amqplib: TLS material from config or `AMQP_CA_FILE`/`AMQP_CERT_FILE`/`AMQP_KEY_FILE`. */
export function socketOptions(
  config: AgentConfig,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, unknown> {
  const options: Record<string, unknown> = {
    clientProperties: { connection_name: `amqp-lambda-agent:${config.name}:${process.pid}` },
    timeout: 10_000,
    // Acks are small frames: send them at once rather than wait for Nagle's algorithm.
    noDelay: true,
  };
  const url = new URL(config.amqp.url);
  if (url.protocol !== "amqps:") return options;
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
  const ca = read(tls?.caFile ?? env.AMQP_CA_FILE, "ca_file");
  const cert = read(tls?.certFile ?? env.AMQP_CERT_FILE, "cert_file");
  const key = read(tls?.keyFile ?? env.AMQP_KEY_FILE, "key_file");
  if (ca) options.ca = [ca];
  if (cert) options.cert = cert;
  if (key) options.key = key;
  const passphrase = tls?.passphrase ?? env.AMQP_KEY_PASSPHRASE;
  if (passphrase) options.passphrase = passphrase;
  if (tls?.serverName) options.servername = tls.serverName;
  options.rejectUnauthorized = tls?.rejectUnauthorized ?? true;
  return options;
}

/** The vhost a URL names: the path without its leading slash, `/` when empty. */
export function vhostOf(url: string): string {
  const path = new URL(url).pathname;
  const name = decodeURIComponent(path.replace(/^\//, ""));
  return name === "" ? "/" : name;
}

/** The broker's address without credentials, used as `eventSourceArn`. */
export function brokerAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname || "/"}`;
}
