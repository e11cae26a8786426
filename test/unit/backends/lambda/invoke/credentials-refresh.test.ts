import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import type { AwsCredentialIdentity } from "@smithy/types";
import {
  createHttpInvoker,
  type HttpInvokerSeams,
} from "../../../../../src/backends/lambda/invoke/http-invoker.js";
import type { Transport } from "../../../../../src/backends/lambda/invoke/transport.js";
import type { InvokerOptions } from "../../../../../src/backends/lambda/invoke/types.js";

const MINUTE = 60_000;
const START = Date.UTC(2026, 0, 2, 3, 0, 0);
const OPTIONS: InvokerOptions = {
  functionName: "fn",
  region: "eu-west-1",
  timeoutMs: 1_000,
  sockets: 1,
  client: "http",
};
const ENV_KEYS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_CREDENTIAL_EXPIRATION",
  "AWS_PROFILE",
];

/** An http invoker whose transport records the access key each request was signed with. */
function recordingInvoker(seams: HttpInvokerSeams = {}) {
  const signedWith: string[] = [];
  const createTransport = (): Transport => ({
    async send(_target, headers) {
      signedWith.push(/Credential=([^/]+)\//.exec(headers.authorization ?? "")?.[1] ?? "?");
      return { response: { status: 200, headers: {}, body: Buffer.alloc(0) } };
    },
    close() {},
  });
  const invoker = createHttpInvoker(OPTIONS, {}, { ...seams, createTransport });
  const invoke = async () => assert.equal((await invoker.invoke([Buffer.from("{}")], 2)).kind, "ok");
  return { invoker, invoke, signedWith };
}

describe("credentials on the http path", () => {
  const saved = new Map(ENV_KEYS.map((key) => [key, process.env[key]]));
  beforeEach(() => {
    for (const key of ENV_KEYS) delete process.env[key];
    mock.timers.enable({ apis: ["Date"], now: START });
  });
  afterEach(() => {
    mock.timers.reset();
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it("a provider whose credentials expire soon is called again before they expire, not per request", async () => {
    let calls = 0;
    const provider = async (): Promise<AwsCredentialIdentity> => {
      calls += 1;
      return {
        accessKeyId: `AKID${calls}`,
        secretAccessKey: "secret",
        expiration: new Date(Date.now() + 10 * MINUTE),
      };
    };
    const { invoker, invoke, signedWith } = recordingInvoker({ clientConfig: { credentials: provider } });
    await invoke();
    await invoke();
    mock.timers.setTime(START + 4 * MINUTE); // 6 minutes left: still fresh
    await invoke();
    assert.equal(calls, 1);
    mock.timers.setTime(START + 6 * MINUTE); // 4 minutes left: inside the SDK's 5-minute refresh window
    await invoke();
    assert.equal(calls, 2);
    await invoke();
    assert.equal(calls, 2);
    assert.deepEqual(signedWith, ["AKID1", "AKID1", "AKID1", "AKID2", "AKID2"]);
    invoker.close();
  });

  it("the default provider chain is memoized and refreshes expiring credentials (env keys with an expiration)", async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: "ENVKEY1",
      AWS_SECRET_ACCESS_KEY: "secret1",
      AWS_CREDENTIAL_EXPIRATION: new Date(START + 10 * MINUTE).toISOString(),
    });
    const { invoker, invoke, signedWith } = recordingInvoker();
    await invoke();
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: "ENVKEY2",
      AWS_SECRET_ACCESS_KEY: "secret2",
      AWS_CREDENTIAL_EXPIRATION: new Date(START + 20 * MINUTE).toISOString(),
    });
    await invoke(); // memoized: the environment is not read again
    mock.timers.setTime(START + 6 * MINUTE);
    await invoke(); // inside the refresh window: the old, still valid, key is used while a refresh runs
    await invoke();
    assert.deepEqual(signedWith, ["ENVKEY1", "ENVKEY1", "ENVKEY1", "ENVKEY2"]);
    invoker.close();
  });

  it("no credentials anywhere → a credentials failure, tried again on the next call", async () => {
    let calls = 0;
    const provider = async (): Promise<AwsCredentialIdentity> => {
      calls += 1;
      throw Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      });
    };
    const { invoker } = recordingInvoker({ clientConfig: { credentials: provider } });
    for (let i = 1; i <= 2; i += 1) {
      const outcome = await invoker.invoke([Buffer.from("{}")], 2);
      assert.ok(outcome.kind !== "ok");
      assert.deepEqual([outcome.kind, outcome.errorType], ["credentials", "CredentialsProviderError"]);
      assert.equal(calls, i);
    }
    invoker.close();
  });
});
