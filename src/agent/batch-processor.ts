import type { LambdaClient } from "@aws-sdk/client-lambda";
import { retryDelayMs } from "../backoff.js";
import type { AgentConfig } from "../config/types.js";
import { readBatchResponse } from "../lambda/batch-response.js";
import { bodyPayload, buildRmqEvent, type EventSource } from "../lambda/event.js";
import { invokeFunction } from "../lambda/invoke.js";
import type { InvokeFailure, InvokeOutcome } from "../lambda/invoke-outcome.js";
import type { LogThrottle } from "../observability/log-throttle.js";
import type { Logger } from "../observability/logger.js";
import { type AgentMetrics, invocationResult } from "../observability/metrics.js";
import type { Delivery } from "./delivery.js";
import { delay, type RateLimiter } from "./rate-limiter.js";
import { shouldRetry } from "./settlement.js";
import type { Settler } from "./settler.js";

/**
 * Runs one batch to its end: invoke, retry what failed (with backoff, while other batches keep
 * flowing), and hand every message to the settler exactly once.
 */
export class BatchProcessor {
  constructor(
    private readonly config: AgentConfig,
    private readonly client: LambdaClient,
    private readonly source: EventSource,
    private readonly limiter: RateLimiter,
    private readonly settler: Settler,
    private readonly metrics: AgentMetrics,
    private readonly log: Logger,
    private readonly throttle: LogThrottle,
  ) {}

  async process(batch: readonly Delivery[]): Promise<void> {
    let pending = [...batch];
    let attempts = 0;
    const settling: Promise<void>[] = [];
    while (pending.length > 0) {
      if (attempts > 0) await delay(retryDelayMs(attempts));
      // After a reconnect the broker redelivers these; invoking again would only add a duplicate.
      // With auto_ack the broker has already forgotten them: they are ours to finish.
      const live = this.config.amqp.autoAck ? pending : pending.filter((d) => d.session.alive);
      for (let i = live.length; i < pending.length; i++) this.settler.abandon();
      if (live.length === 0) break;
      await this.limiter.acquire(live.length);
      attempts += 1;
      const failures = await this.invoke(live);
      const retry: Delivery[] = [];
      for (const delivery of live) {
        const failure = failures.get(delivery);
        if (failure && shouldRetry(failure, attempts, this.config.lambda.maxRetries)) retry.push(delivery);
        else settling.push(this.settler.settle(delivery, failure, attempts));
      }
      if (retry.length > 0) this.metrics.retried.inc(retry.length);
      pending = retry;
    }
    await Promise.all(settling);
  }

  /** One Invoke call for the batch; returns the failure of each message that failed. */
  private async invoke(batch: readonly Delivery[]): Promise<Map<Delivery, InvokeFailure>> {
    const failures = new Map<Delivery, InvokeFailure>();
    const payload = this.payloadFor(batch, failures);
    if (!payload) return failures;
    const outcome = await invokeFunction(this.client, this.config.lambda.functionName, payload);
    this.record(outcome);
    if (outcome.kind !== "ok") {
      this.throttle.warn(
        this.log,
        `invoke:${outcome.kind}:${outcome.errorType}`,
        { outcome: outcome.kind, errorType: outcome.errorType, batch: batch.length },
        `invocation of ${this.config.lambda.functionName} failed: ${outcome.errorType}: ${outcome.message}`,
      );
      for (const delivery of batch) failures.set(delivery, outcome);
      return failures;
    }
    if (this.config.lambda.eventFormat === "body") return failures;
    const tags = new Map(batch.map((d) => [String(d.message.fields.deliveryTag), d]));
    const response = readBatchResponse(outcome.payload, new Set(tags.keys()));
    if ("invalid" in response) {
      this.throttle.error(
        this.log,
        "partial-batch-invalid",
        { reason: response.invalid },
        `whole batch failed: ${response.invalid}`,
      );
      const failure: InvokeFailure = {
        kind: "partial_batch_invalid",
        retryable: true,
        errorType: "InvalidBatchItemFailures",
        message: response.invalid,
        durationMs: outcome.durationMs,
      };
      for (const delivery of batch) failures.set(delivery, failure);
      return failures;
    }
    for (const tag of response.failed) {
      const delivery = tags.get(tag);
      if (delivery) {
        failures.set(delivery, {
          kind: "function_error",
          retryable: true,
          errorType: "BatchItemFailure",
          message: `the function reported message ${tag} as failed`,
          durationMs: outcome.durationMs,
        });
      }
    }
    return failures;
  }

  private payloadFor(
    batch: readonly Delivery[],
    failures: Map<Delivery, InvokeFailure>,
  ): Uint8Array | undefined {
    if (this.config.lambda.eventFormat === "rmq") {
      const event = buildRmqEvent(
        batch.map((d) => d.message),
        this.source,
      );
      return Buffer.from(JSON.stringify(event));
    }
    const [only] = batch;
    if (!only) return undefined;
    const body = bodyPayload(only.message);
    if (body.ok) return body.payload;
    failures.set(only, {
      kind: "bad_message",
      retryable: false,
      errorType: "InvalidJsonBody",
      message: body.reason,
      durationMs: 0,
    });
    return undefined;
  }

  private record(outcome: InvokeOutcome): void {
    this.metrics.invocation(invocationResult(outcome.kind)).inc();
    if (outcome.kind !== "too_large") this.metrics.invocationDuration.observe(outcome.durationMs / 1000);
  }
}
