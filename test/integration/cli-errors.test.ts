import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli, writeConfig } from "../helpers/agent-process.js";
import { agentConfig } from "../helpers/config.js";

// biome-ignore lint/suspicious/noExplicitAny: the tests edit arbitrary config JSON
type Json = Record<string, any>;
type Raw = { async_agent: Json[] };

function config(edit: (agent: Json) => void): Raw {
  const raw = agentConfig({ exchange: "ex", queue: "q" }) as Raw;
  edit(raw.async_agent[0] as Json);
  return raw;
}
const amqp = (a: Json) => a.extra_config["async/amqp"];
const lambda = (a: Json) => a.backend[0].extra_config["backend/lambda"];

describe("bad input gets a clear answer: exit 2, the JSON path, the expected form, no stack trace", () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ["wrong type", config((a) => (amqp(a).durable = "true")), /\["async\/amqp"\]\.durable: expected boolean/],
    [
      "negative prefetch",
      config((a) => (amqp(a).prefetch_count = -5)),
      /\.prefetch_count: expected a whole number from 0 to 65535/,
    ],
    [
      "misspelt prefetch_cout",
      config((a) => (amqp(a).prefetch_cout = 5)),
      /\.prefetch_cout: unknown key "prefetch_cout"; did you mean "prefetch_count"\?/,
    ],
    ["missing exchange", config((a) => delete amqp(a).exchange), /\["async\/amqp"\]\.exchange: is required/],
    [
      "missing function_name",
      config((a) => delete lambda(a).function_name),
      /\["backend\/lambda"\]\.function_name: is required/,
    ],
    [
      "unknown backoff_strategy",
      config((a) => (a.connection.backoff_strategy = "sometimes")),
      /connection\.backoff_strategy: expected one of "linear"/,
    ],
    ["a file that is not JSON", "{ this is not json", /is not valid JSON/],
  ];
  for (const command of ["validate", "run"]) {
    for (const [what, raw, expected] of cases) {
      it(`${command}: ${what}`, async () => {
        const result = await runCli([command, "--config", writeConfig(raw)]);
        assert.equal(result.code, 2);
        assert.match(result.stderr, expected);
        assert.equal(result.stderr.trim().split("\n").length, 1, `one line, got: ${result.stderr}`);
        assert.doesNotMatch(result.stderr, /\n\s+at /);
      });
    }
  }

  it("validate exits 0 for a valid file and prints the topology with the password redacted", async () => {
    const raw = config((a) => (amqp(a).host = "amqp://guest:Very-Secret-9@127.0.0.1:5672/"));
    const result = await runCli(["validate", "--config", writeConfig(raw)]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /binding\s+ex --"#"--> q/);
    assert.doesNotMatch(result.stdout + result.stderr, /Very-Secret-9/);
  });

  it("an unset {{ env }} variable is an error naming it", async () => {
    const raw = config(
      (a) => (amqp(a).host = 'amqp://guest:{{ env "NO_SUCH_PASSWORD_VAR" }}@127.0.0.1:5672/'),
    );
    const result = await runCli(["validate", "--config", writeConfig(raw)], {
      NO_SUCH_PASSWORD_VAR: undefined,
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /environment variable NO_SUCH_PASSWORD_VAR is not set/);
  });
});

describe("broker unreachable", () => {
  it("retries with the configured backoff, logs each attempt redacted, exits 1 after max_retries", async () => {
    const password = "Unreachable-Pw-42";
    const raw = config((a) => {
      amqp(a).host = `amqp://guest:${password}@127.0.0.1:5999/`;
      a.connection = { max_retries: 2, backoff_strategy: "linear", health_interval: "1s" };
    });
    const result = await runCli(["run", "--config", writeConfig(raw)], { LOG_LEVEL: "info" });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const attempts = result.stdout.split("\n").filter((l) => l.includes("cannot connect to 127.0.0.1:5999"));
    assert.equal(attempts.length, 3, "the first attempt and two retries");
    assert.match(result.stdout, /reconnecting to 127\.0\.0\.1:5999 in 0ms \(round 1 of 2\)/);
    assert.match(result.stdout, /in 1000ms \(round 2 of 2\)/);
    assert.match(result.stdout + result.stderr, /gave up connecting/);
    assert.ok(!(result.stdout + result.stderr).includes(password), "the password never appears");
  });
});
