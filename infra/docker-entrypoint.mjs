// Container entry point: `node infra/docker-entrypoint.mjs run|validate|redrive` (ENTRYPOINT + CMD).
// The agent CLI reads its config from a file (--config or AMQP_LAMBDA_AGENT_CONFIG). On ECS the
// Serverless plugin passes the config as JSON in AMQP_LAMBDA_AGENT_CONFIG_JSON instead: write it
// to a private file, point the CLI at it and run the CLI in this very process, so SIGTERM from
// the orchestrator reaches the agent's own handler (it drains, then exits 0).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const json = process.env.AMQP_LAMBDA_AGENT_CONFIG_JSON;
if (json && !process.argv.includes("--config") && !process.argv.includes("-c")) {
  const file = join(mkdtempSync(join(tmpdir(), "amqp-lambda-agent-")), "agent.json");
  writeFileSync(file, json, { mode: 0o600 });
  process.env.AMQP_LAMBDA_AGENT_CONFIG = file;
}
await import("../dist/cli.js");
