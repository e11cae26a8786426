import type { SuccessStatus } from "../../config/http-backend-types.js";
import type { FailureKind } from "../backend.js";

/** Whether a status counts as success: any 2xx by default, or exactly the configured codes. The body is never read for it. */
export function isSuccessStatus(status: number, rule: SuccessStatus): boolean {
  return rule.kind === "2xx" ? status >= 200 && status < 300 : rule.codes.includes(status);
}

/**
 * The one status → failure table of the HTTP backend, for a status that is not success. Each row is
 * mapped onto a contract `FailureKind` so that `failureScope` puts it on the right side:
 *
 * | status                     | kind             | scope     | why                                              |
 * | -------------------------- | ---------------- | --------- | ------------------------------------------------ |
 * | 2xx not in success_status  | invalid_response | ambiguous | the endpoint answered, not as configured: it may |
 * |                            |                  |           | have acted on the message (charged as a timeout) |
 * | 3xx                        | not_found        | systemic  | the URL moved. Redirects are never followed (a   |
 * |                            |                  |           | POST replayed elsewhere, credentials sent to     |
 * |                            |                  |           | another host): every message fails alike until   |
 * |                            |                  |           | `host` or `url_pattern` is fixed                 |
 * | 401, 403, 407              | access_denied    | systemic  | the agent's (or its proxy's) credentials are     |
 * |                            |                  |           | refused: the configuration's fault               |
 * | 404, 405                   | not_found        | systemic  | no such resource or method at the URL            |
 * | 408                        | network          | systemic  | the server gave up waiting for the request (an   |
 * |                            |                  |           | idle keep-alive connection): the transport's     |
 * | 429                        | throttled        | systemic  | the server asks to slow down (Retry-After)       |
 * | other 4xx: 400, 409, 410,  | bad_message      | message   | the server refused this message (malformed,      |
 * | 413, 415, 422, 431, ...    |                  |           | conflicting, gone, too large, of a wrong type):  |
 * |                            |                  |           | sending it again cannot help                     |
 * | 5xx                        | server_error     | systemic  | the server failed (Retry-After honoured)         |
 * | 1xx, 600 and more          | server_error     | systemic  | not a final status a conforming server sends     |
 *
 * With no response at all (`noResponseFailure` in `http-failure.ts`): refused or reset connections,
 * DNS and TLS errors, proxy failures → `network`; credentials the signer could not get →
 * `credentials`; the request's own timeout → `timeout`, which `failureScope` charges as the Lambda
 * path's: one attempt of the message, systemic when it hits many messages at once.
 */
export function failureKindOfStatus(status: number): FailureKind {
  if (status >= 200 && status < 300) return "invalid_response";
  if (status >= 300 && status < 400) return "not_found";
  switch (status) {
    case 401:
    case 403:
    case 407:
      return "access_denied";
    case 404:
    case 405:
      return "not_found";
    case 408:
      return "network";
    case 429:
      return "throttled";
  }
  if (status >= 400 && status < 500) return "bad_message";
  return "server_error";
}
