// Appends what a function handled to PROBE_DIR/<queue>.jsonl, so tests and `npm start` can show it.
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.PROBE_DIR || "/tmp/amqp-lambda-agent-probe";

export function record(queue, entry) {
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, `${queue}.jsonl`), `${JSON.stringify({ ...entry, at: Date.now() })}\n`);
}
