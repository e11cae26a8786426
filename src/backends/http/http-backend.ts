import type { HttpBackendConfig } from "../../config/http-backend-types.js";
import { toError } from "../../errors.js";
import type {
  Backend,
  CallReport,
  Failure,
  MessageOutcome,
  OutgoingMessage,
  SendExtras,
  SendReport,
} from "../backend.js";
import { failureScope } from "../failure-scope.js";
import { isSuccessStatus } from "./classify-http-status.js";
import { describeHttpBackend, httpBackendLabel } from "./describe-http-backend.js";
import { createDispatcher, readCaFile } from "./http-dispatcher.js";
import { noResponseFailure, statusFailure } from "./http-failure.js";
import { type HttpTarget, httpTarget, RoundRobin } from "./http-target.js";
import { requestHeaders } from "./request-headers.js";
import { sendRequest } from "./send-request.js";
import { createSigV4Signer, type RequestSigner, type SigV4Seams } from "./sigv4-signer.js";
import { TokenBucket, waitUnlessAborted } from "./token-bucket.js";

export interface HttpBackendDeps {
  /** The agent's `consumer.workers`: keep-alive connections per host. */
  workers: number;
  /** Messages per `send` (each still its own request): 1 unless this is the agent's only backend. */
  batchSize?: number;
  batchWindowMs?: number;
  /** HTTP_PROXY, HTTPS_PROXY, NO_PROXY and the loopback check of the AWS configuration are read from here. */
  env: NodeJS.ProcessEnv;
  sigv4?: SigV4Seams;
}

export interface HttpBackend extends Backend {
  /** One line for `validate`: method, URLs (passwords masked), success rule, static header names. */
  describe(): string;
}

/** What one request came to: the message's outcome, and what it says about the platform. */
interface RequestReport {
  outcome: MessageOutcome;
  call: CallReport;
}

/**
 * A backend that sends each message as one HTTP request to `host` (in turn) + `url_pattern`: the body
 * as it is, `Content-Type` from the message when it has one. Success is the `success_status` rule;
 * every other status is classified by `classify-http-status.ts`. Throws a `ConfigError` at creation
 * when `tls.ca_file` cannot be read.
 */
export function createHttpBackend(config: HttpBackendConfig, deps: HttpBackendDeps): HttpBackend {
  const { env } = deps;
  const targets = new RoundRobin(config.hosts.map((host) => httpTarget(host, config.urlPattern)));
  const dispatcher = createDispatcher({
    connections: Math.max(1, deps.workers),
    ca: readCaFile(config.caFile, config.at),
    env,
  });
  const signer: RequestSigner | undefined =
    config.sigv4 && createSigV4Signer(config.sigv4, config.hosts, env, deps.sigv4);
  const bucket = config.rateLimit && new TokenBucket(config.rateLimit);
  const closing = new AbortController();
  const headerSources = { staticHeaders: config.headers, forward: config.forwardHeaders };

  /** One request: a call of the send's trace of its own (its span, its `traceparent`), to the host picked. */
  async function sendOne(outgoing: OutgoingMessage, extras: SendExtras | undefined): Promise<RequestReport> {
    if (bucket) await waitUnlessAborted(bucket.reserve(), closing.signal);
    const target = targets.pick();
    const traced = extras?.trace?.startCall({
      kind: "http",
      method: config.method,
      url: target.display,
      address: target.hostname,
    });
    const report = await makeRequest(outgoing, target, traced?.headers);
    traced?.end(report.call);
    return report;
  }

  async function makeRequest(
    outgoing: OutgoingMessage,
    target: HttpTarget,
    traceHeaders: Readonly<Record<string, string>> | undefined,
  ): Promise<RequestReport> {
    const startedAt = performance.now();
    const request = `${config.method} ${target.display}`;
    const body = outgoing.message.content;
    let headers: Record<string, string> | string[] = requestHeaders(
      outgoing,
      target,
      headerSources,
      traceHeaders,
    );
    const elapsed = () => performance.now() - startedAt;
    if (signer && !closing.signal.aborted) {
      try {
        headers = await signer.sign({ method: config.method, target, path: target.path, headers, body });
      } catch (error) {
        const failure = noResponseFailure(
          { cause: "credentials", error: toError(error) },
          request,
          elapsed(),
        );
        return failed(failure, startedAt, undefined);
      }
    }
    const sentAt = Date.now();
    const result = await sendRequest(
      dispatcher,
      {
        origin: target.origin,
        path: target.path,
        method: config.method,
        headers,
        body,
        timeoutMs: config.timeoutMs,
      },
      closing.signal,
    );
    const durationMs = elapsed();
    if ("noResponse" in result)
      return failed(noResponseFailure(result.noResponse, request, durationMs), startedAt, durationMs);
    const { response } = result;
    signer?.observe(response.headers, sentAt);
    if (isSuccessStatus(response.status, config.successStatus)) {
      const contentType = response.headers["content-type"];
      return {
        outcome: {
          kind: "succeeded",
          response: {
            body: response.body,
            contentType: typeof contentType === "string" ? contentType : undefined,
          },
        },
        call: {
          outcome: "ok",
          failure: undefined,
          scope: undefined,
          reason: "ok",
          startedAt,
          durationMs,
          httpStatus: response.status,
        },
      };
    }
    const { failure, retryAfterMs } = statusFailure(response, request, durationMs, Date.now());
    return failed(failure, startedAt, durationMs, retryAfterMs);
  }

  return {
    label: httpBackendLabel(config),
    batchSize: Math.max(1, deps.batchSize ?? 1),
    batchWindowMs: deps.batchWindowMs ?? 0,
    maxRetries: config.maxRetries,
    maxBatchBytes: Number.MAX_SAFE_INTEGER,
    sizeOf: (outgoing) => outgoing.message.content.byteLength,
    async send(batch, extras) {
      const reports = await Promise.all(batch.map((outgoing) => sendOne(outgoing, extras)));
      const results = new Map<number, MessageOutcome>();
      for (const [index, outgoing] of batch.entries()) {
        results.set(outgoing.id, (reports[index] as RequestReport).outcome);
      }
      return { results, call: callOfBatch(reports.map((report) => report.call)) } satisfies SendReport;
    },
    close() {
      if (closing.signal.aborted) return;
      closing.abort();
      signer?.close();
      void dispatcher.destroy().catch(() => {});
    },
    describe: () => describeHttpBackend(config),
  };
}

function failed(
  failure: Failure,
  startedAt: number,
  durationMs: number | undefined,
  retryAfterMs?: number,
): RequestReport {
  const scope = failureScope(failure);
  const call: CallReport = {
    outcome: failure.kind,
    failure,
    scope,
    reason: reasonOf(failure),
    startedAt,
    durationMs,
  };
  if (retryAfterMs !== undefined) call.retryAfterMs = retryAfterMs;
  return { outcome: { kind: "failed", failure, scope }, call };
}

function reasonOf(failure: Failure): string {
  return failure.reason ? `${failure.errorType}: ${failure.reason}` : failure.errorType;
}

/** Precedence of a failed request's report in a batch's: what the platform says first. */
const SCOPE_RANK = { systemic: 0, ambiguous: 1, message: 2 } as const;

/**
 * One report for the requests of a batch (a single request's as it is): started with the first,
 * as long as the longest sent, and the failure that says most about the platform (systemic before
 * ambiguous before the message's own), with the longest `Retry-After` asked for.
 */
function callOfBatch(calls: readonly CallReport[]): CallReport | undefined {
  if (calls.length <= 1) return calls[0];
  const failures = calls.filter((call) => call.scope !== undefined);
  const worst = failures.sort(
    (a, b) => SCOPE_RANK[a.scope ?? "message"] - SCOPE_RANK[b.scope ?? "message"],
  )[0];
  const report: CallReport = {
    ...(worst ?? (calls[0] as CallReport)),
    startedAt: Math.min(...calls.map((call) => call.startedAt)),
  };
  const durations = calls.flatMap((call) => (call.durationMs === undefined ? [] : [call.durationMs]));
  report.durationMs = durations.length > 0 ? Math.max(...durations) : undefined;
  const retryAfter = calls.flatMap((call) => (call.retryAfterMs === undefined ? [] : [call.retryAfterMs]));
  if (retryAfter.length > 0) report.retryAfterMs = Math.max(...retryAfter);
  return report;
}
