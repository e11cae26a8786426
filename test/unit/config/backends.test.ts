import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../../src/config/index.js";
import { seedAgent } from "./fixtures.js";

const lambda = (extra: Record<string, unknown> = {}) => ({
  extra_config: { "backend/lambda": { function_name: "fn", endpoint: "http://localhost:3002", ...extra } },
});
const http = (extra: Record<string, unknown> = {}) => ({ url_pattern: "/in", method: "POST", ...extra });

function agentWith(
  backend: unknown[],
  agentExtra: Record<string, unknown> = {},
  root: Record<string, unknown> = {},
) {
  const agent = seedAgent();
  agent.backend = backend;
  Object.assign(agent.extra_config as Record<string, unknown>, agentExtra);
  return resolveConfig({ ...root, async_agent: [agent] }).agents[0];
}

describe("backends of an agent", () => {
  it("a Lambda backend and an HTTP backend in one agent, in the file's order", () => {
    const agent = agentWith([lambda(), http({ host: ["http://127.0.0.1:9000"] })]);
    assert.deepEqual(
      agent?.backends.map((b) => b.kind),
      ["lambda", "http"],
    );
    assert.equal(agent?.lambda?.functionName, "fn", "the first Lambda backend");
    assert.deepEqual(agent?.delivery, { batchSize: 1, batchWindowMs: 0, maxRetries: 2, sequential: false });
  });

  it("an HTTP backend without hosts takes the file's root host list (KrakenD)", () => {
    const agent = agentWith([http()], {}, { host: ["http://fake_api:8080"] });
    const [backend] = agent?.backends ?? [];
    assert.equal(backend?.kind, "http");
    assert.deepEqual(backend?.kind === "http" ? backend.http.hosts : [], ["http://fake_api:8080"]);
  });

  it("batches only with a single backend: batch_size > 1 beside another backend is refused, naming it", () => {
    assert.throws(
      () => agentWith([lambda({ batch_size: 10 }), http({ host: ["http://h"] })]),
      /async_agent\[0\]\.backend\[0\]\.extra_config\["backend\/lambda"\]\.batch_size: batches need a single backend/,
    );
    const single = agentWith([lambda({ batch_size: 10, batch_window: "200ms" })]);
    assert.deepEqual(single?.delivery, {
      batchSize: 10,
      batchWindowMs: 200,
      maxRetries: 2,
      sequential: false,
    });
  });

  it("proxy.sequential on the agent; max_retries is the largest of the backends'", () => {
    const agent = agentWith(
      [
        lambda({ max_retries: 1 }),
        http({ host: ["http://h"], extra_config: { "amqp_lambda_agent/http": { max_retries: 4 } } }),
      ],
      { proxy: { sequential: true } },
    );
    assert.deepEqual(agent?.delivery, { batchSize: 1, batchWindowMs: 0, maxRetries: 4, sequential: true });
  });

  it("no backend at all is refused with the way out", () => {
    assert.throws(() => agentWith([]), /backend: lists no backend/);
  });

  it("static header values and host passwords of HTTP backends are secrets of the loaded config", () => {
    const agent = seedAgent();
    agent.backend = [
      http({
        host: ["https://user:hunter2@hooks.example.com"],
        extra_config: { "amqp_lambda_agent/http": { headers: { "X-Api-Key": "k-123" } } },
      }),
    ];
    const { secrets } = resolveConfig({ async_agent: [agent] });
    assert.ok(secrets.includes("hunter2") && secrets.includes("k-123"), JSON.stringify(secrets));
  });
});
