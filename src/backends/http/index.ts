/**
 * The HTTP backend: each message as one request to an HTTP endpoint, KrakenD's backend fields read
 * as KrakenD reads them, the outcome classified by one status table.
 */
export { failureKindOfStatus, isSuccessStatus } from "./classify-http-status.js";
export { FORWARDED, forwardedHeaders } from "./forward-headers.js";
export { createHttpBackend, type HttpBackend, type HttpBackendDeps } from "./http-backend.js";
export { parseRetryAfter } from "./retry-after.js";
