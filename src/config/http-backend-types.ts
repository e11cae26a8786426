/** Which statuses count as success: any 2xx (the default), or exactly the listed codes. */
export type SuccessStatus = { kind: "2xx" } | { kind: "codes"; codes: readonly number[] };

/** `extra_config["auth/aws-sigv4"]`: sign every request with SigV4 for this service and region. */
export interface SigV4Config {
  region: string;
  service: string;
}

/** `extra_config["qos/ratelimit/proxy"]`: a token bucket of `capacity` tokens, `maxRate` every `everyMs`. */
export interface ProxyRateLimit {
  maxRate: number;
  capacity: number;
  everyMs: number;
}

/** One HTTP backend of an agent, fully defaulted and validated. Durations are milliseconds. */
export interface HttpBackendConfig {
  /** The JSON path of the backend entry (start-up errors name it, e.g. an unreadable `ca_file`). */
  at: string;
  /** Upper case, as sent. */
  method: string;
  /** Base URLs (scheme, host, port, optional path prefix, no trailing `/`), used in turn. */
  hosts: readonly string[];
  /** Appended verbatim to a host: path and query string. */
  urlPattern: string;
  /** KrakenD's `encoding`, lower case; `undefined` when not set. Never used to decode a response. */
  encoding: string | undefined;
  successStatus: SuccessStatus;
  /** In-process retries of a message's own failures. */
  maxRetries: number;
  timeoutMs: number;
  /** Send the routing key, exchange, message id, redelivered flag and AMQP headers as `X-Amqp-*`. */
  forwardHeaders: boolean;
  /** Static headers, names as written; every value is a secret. */
  headers: Readonly<Record<string, string>>;
  /** Validated event patterns; `undefined`: every message is sent. */
  filterPatterns: unknown[] | undefined;
  /** A PEM file of extra certificate authorities to trust (with the default ones). */
  caFile: string | undefined;
  sigv4: SigV4Config | undefined;
  rateLimit: ProxyRateLimit | undefined;
}

/** What resolving a backend entry gives: the config, what to say at start-up, what to mask in logs. */
export interface ResolvedHttpBackend {
  config: HttpBackendConfig;
  /** Informational start-up lines (fields accepted and ignored). */
  notes: string[];
  /** Start-up warnings: settings whose KrakenD meaning this agent does not reproduce. */
  warnings: string[];
  /** Static header values and host passwords: never logged. */
  secrets: string[];
}
