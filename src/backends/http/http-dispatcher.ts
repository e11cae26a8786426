import { readFileSync } from "node:fs";
import { getCACertificates } from "node:tls";
import { type Dispatcher, EnvHttpProxyAgent } from "undici";
import { ConfigError, toError } from "../../errors.js";

/** How long a new connection may take before the request fails as a network error. */
const CONNECT_TIMEOUT_MS = 5_000;
/** How long an idle connection is kept when the server gives no Keep-Alive hint. */
const IDLE_CONNECTION_MS = 30_000;

export interface DispatcherOptions {
  /** Keep-alive connections per origin (the agent's `workers`). */
  connections: number;
  /** Extra certificate authorities (PEM), trusted with the default ones. */
  ca: string | undefined;
  /** HTTP_PROXY, HTTPS_PROXY and NO_PROXY (either case) are read from here. */
  env: NodeJS.ProcessEnv;
}

/**
 * undici's `EnvHttpProxyAgent`: a pool of `connections` keep-alive connections per origin, through the
 * proxy that HTTP_PROXY / HTTPS_PROXY name unless NO_PROXY excludes the host. Redirects are never
 * followed (undici's dispatchers follow none). Without `ca`, TLS trusts Node's default authorities
 * (NODE_EXTRA_CA_CERTS included); with it, those and `ca`.
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { env } = options;
  const ca = options.ca === undefined ? undefined : [...getCACertificates("default"), options.ca];
  return new EnvHttpProxyAgent({
    // "" when unset, so that undici does not read process.env itself.
    httpProxy: env.http_proxy ?? env.HTTP_PROXY ?? "",
    httpsProxy: env.https_proxy ?? env.HTTPS_PROXY ?? "",
    noProxy: env.no_proxy ?? env.NO_PROXY ?? "",
    connections: options.connections,
    pipelining: 1,
    keepAliveTimeout: IDLE_CONNECTION_MS,
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { timeout: CONNECT_TIMEOUT_MS, ...(ca ? { ca } : {}) },
    // Through a proxy: the TLS sessions with the target and with an https:// proxy.
    ...(ca ? { requestTls: { ca }, proxyTls: { ca } } : {}),
  });
}

/** The PEM text of `tls.ca_file`, read once at start-up; a file that cannot be read is a config error. */
export function readCaFile(file: string | undefined, at: string): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(
      `${at}.extra_config["amqp_lambda_agent/http"].tls.ca_file`,
      `cannot read ${file}: ${toError(error).message}`,
    );
  }
}
