import { ConfigError } from "../errors.js";
import { decodeOrKeep } from "../shared/decode-or-keep.js";
import { redactUrl } from "../shared/url-credentials.js";

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * A backend's base URL as it is used: KrakenD's sanitizing (a host without a scheme is `http://`, a
 * trailing `/` goes) unless `disable_host_sanitize`, then checked: http or https, no query or fragment.
 * A path prefix is kept (`url_pattern` is appended to it). Messages quote the URL with its password
 * masked.
 */
export function sanitizeHost(host: string, at: string, sanitize: boolean): string {
  const written = host.trim();
  const withScheme = SCHEME.test(written) || !sanitize ? written : `http://${written}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(
      at,
      `expected a base URL such as "https://api.example.com", got "${redactUrl(written)}"`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(at, `expected an http:// or https:// URL, got "${redactUrl(written)}"`);
  }
  if (url.search !== "" || url.hash !== "" || withScheme.endsWith("?") || withScheme.endsWith("#")) {
    throw new ConfigError(
      at,
      `a host is a base URL without query or fragment; put the query in "url_pattern" ("${redactUrl(written)}")`,
    );
  }
  const userinfo =
    url.username || url.password ? `${url.username}${url.password ? `:${url.password}` : ""}@` : "";
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${userinfo}${url.host}${path}`;
}

/** The user and password written in a base URL, decoded; `undefined` when it has none. */
export function hostCredentials(host: string): { user: string; password: string } | undefined {
  const url = new URL(host);
  if (!url.username && !url.password) return undefined;
  return { user: decodeOrKeep(url.username), password: decodeOrKeep(url.password) };
}
