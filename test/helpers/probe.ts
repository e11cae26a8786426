import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const PROBE_DIR = process.env.PROBE_DIR ?? "/tmp/amqp-lambda-agent-probe";
export const LAMBDA_ENDPOINT = process.env.LAMBDA_ENDPOINT ?? "http://127.0.0.1:3902";
export const PROBE_FUNCTION = "amqp-lambda-agent-example-dev-probe";

export interface ProbeRecord {
  id: number;
  /** One per invocation: records that share it came in one batch. */
  invocation: string;
  deliveryTag: string;
  redelivered: boolean;
  routingKey: string;
  exchange: string;
  contentType: string | null;
  batch: number;
  /** What the agent sent in X-Amz-Client-Context (`context.clientContext.custom`); null without it. */
  clientContext: { traceparent?: string; tracestate?: string } | null;
  at: number;
}

/** What the probe function recorded for a queue: one entry per message per invocation. */
export function probeRecords(queue: string): ProbeRecord[] {
  const file = join(PROBE_DIR, `${queue}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ProbeRecord);
}

/** Distinct message ids the probe has seen for a queue. */
export function probeIds(queue: string): Set<number> {
  return new Set(probeRecords(queue).map((r) => r.id));
}
