import { hostCredentials } from "../../config/http-backend-hosts.js";
import { redactUrl } from "../../shared/url-credentials.js";

/** One host of a backend, taken apart once. */
export interface HttpTarget {
  /** `scheme://host[:port]`: the connection pool's key. */
  origin: string;
  protocol: "http:" | "https:";
  /** As `URL.hostname` writes it (an IPv6 address in brackets). */
  hostname: string;
  port: number | undefined;
  /** The `Host` header: hostname and a port that is not the scheme's default. */
  host: string;
  /** The request path of every call: the host's path prefix, then `url_pattern` verbatim. */
  path: string;
  /** `Basic ...` from a user and password written in the host URL. */
  authorization: string | undefined;
  /** The host and `url_pattern` with the password masked, for labels, logs and messages. */
  display: string;
}

export function httpTarget(host: string, urlPattern: string): HttpTarget {
  const url = new URL(host);
  const credentials = hostCredentials(host);
  const prefix = url.pathname === "/" ? "" : url.pathname;
  return {
    origin: url.origin,
    protocol: url.protocol === "https:" ? "https:" : "http:",
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    host: url.host,
    path: `${prefix}${urlPattern}`,
    authorization: credentials
      ? `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString("base64")}`
      : undefined,
    display: `${redactUrl(host)}${urlPattern}`,
  };
}

/** The hosts of a backend, one after the other. */
export class RoundRobin<T> {
  private next = 0;

  constructor(private readonly items: readonly T[]) {
    if (items.length === 0) throw new Error("RoundRobin needs at least one item");
  }

  pick(): T {
    const item = this.items[this.next] as T;
    this.next = (this.next + 1) % this.items.length;
    return item;
  }
}
