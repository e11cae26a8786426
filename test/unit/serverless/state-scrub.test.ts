import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorMessage, scrubServiceState } from "../../../src/serverless/hooks.js";
import {
  scrubInPlace,
  scrubText,
  secretForms,
  urlPassword,
} from "../../../src/serverless/scrub-service-state.js";
import { amqpEvent, DEPLOY_CUSTOM, fakeServerless } from "./fake-serverless.js";

const PASSWORD = "pw-9f8e7d6c5b4a";
const URL = `amqp://agent:${PASSWORD}@rabbit.internal:5672/`;
const UNRESOLVED = ["$", "{env:AMQP_URL}"].join("");

/** osls' service as `package` leaves it: resolved variables everywhere, the templates under provider. */
function packagedService(custom: Record<string, unknown> = {}) {
  const serverless = fakeServerless(
    {
      orders: { events: [amqpEvent({ host: URL, tls: { passphrase: "tls-passphrase-123" } })] },
      refunds: { events: [amqpEvent({ host: URL, name: "refunds" })] },
    },
    {
      amqpExample: { broker: URL, note: `connect with ${URL} or the password ${PASSWORD} itself` },
      amqpLambdaAgent: { ...DEPLOY_CUSTOM.amqpLambdaAgent, deploy: false },
      ...custom,
    },
  );
  const service = serverless.service as unknown as Record<string, unknown>;
  const cycle: Record<string, unknown> = { name: "cycle", secret: PASSWORD };
  cycle.self = cycle;
  service.initialServerlessConfig = { custom: { amqpExample: { broker: UNRESOLVED } }, cycle };
  service.provider = {
    ...(service.provider as object),
    environment: { DB_URL: "postgres://app:db-password-1@db:5432/app" },
    compiledCloudFormationTemplate: {
      Resources: { Fn: { Properties: { Environment: { Variables: { PROBE: "x" } } } } },
    },
  };
  return { serverless, service };
}

describe("the service osls saves to serverless-state.json", () => {
  it("loses every broker password and TLS passphrase, wherever they sit (custom included)", () => {
    const { serverless, service } = packagedService();
    scrubServiceState(serverless);
    const text = JSON.stringify(service, (key, value) => (key === "self" ? undefined : value));
    assert.ok(!text.includes(PASSWORD), text);
    assert.ok(!text.includes("tls-passphrase-123"), text);
    assert.ok(!text.includes("db-password-1"), "any URL's password goes too");
    const custom = service.custom as { amqpExample: { broker: string; note: string } };
    assert.equal(custom.amqpExample.broker, "amqp://agent:***@rabbit.internal:5672/");
    assert.equal(
      custom.amqpExample.note,
      "connect with amqp://agent:***@rabbit.internal:5672/ or the password *** itself",
    );
    const [event] = serverless.service.getFunction("orders").events ?? [];
    assert.deepEqual(event?.amqp, {
      host: "amqp://agent:***@rabbit.internal:5672/",
      exchange: "orders",
      name: "orders",
      topic: "order.*",
      tls: { passphrase: "***" },
    });
    assert.equal(
      (service.initialServerlessConfig as { custom: { amqpExample: { broker: string } } }).custom.amqpExample
        .broker,
      UNRESOLVED,
      "names and placeholders stay",
    );
  });

  it("refuses a template that holds a broker password instead of rewriting it", () => {
    const { serverless, service } = packagedService();
    const provider = service.provider as {
      compiledCloudFormationTemplate: { Resources: Record<string, unknown> };
    };
    provider.compiledCloudFormationTemplate.Resources.Publisher = {
      Properties: { Environment: { Variables: { AMQP_URL: URL } } },
    };
    assert.throws(
      () => scrubServiceState(serverless),
      (error: Error) => {
        assert.match(
          error.message,
          /compiledCloudFormationTemplate\.Resources\.Publisher\.Properties\.Environment\.Variables\.AMQP_URL/,
        );
        assert.ok(!error.message.includes(PASSWORD));
        return true;
      },
    );
  });
});

describe("scrubbing helpers", () => {
  it("finds a URL's password whatever its length, encoding or a raw @ in it", () => {
    assert.equal(urlPassword("amqp://u:p@h/"), "p");
    assert.equal(urlPassword("amqp://u:p%40ss@h:5672/v"), "p%40ss");
    assert.equal(urlPassword("amqps://u:p@ss@h/"), "p@ss");
    assert.equal(urlPassword("amqp://h:5672/"), undefined);
    assert.equal(urlPassword("amqp://u@h/"), undefined);
  });

  it("masks URL-encoded secrets in both forms and never eats short words", () => {
    const forms = secretForms(["p%40ss-word", "pw"]);
    assert.deepEqual(forms, ["p%40ss-word", "p@ss-word", "pw"]);
    assert.equal(scrubText("a p@ss-word b p%40ss-word", forms), "a *** b ***");
    assert.equal(scrubText("pwd and pw", forms), "pwd and pw", "a 2-character password is masked only whole");
    assert.equal(scrubText("pw", forms), "***");
    assert.equal(scrubText("amqp://u:pw@h/", forms), "amqp://u:***@h/");
  });

  it("walks plain data only, skips the named root keys, and survives cycles", () => {
    class Opaque {
      secret = "the-secret-1";
    }
    const shared = { value: "the-secret-1" };
    const root: Record<string, unknown> = {
      list: ["the-secret-1", { deep: ["x the-secret-1 y"] }, shared, shared],
      opaque: new Opaque(),
      skipped: { value: "the-secret-1" },
    };
    root.loop = root;
    scrubInPlace(root, ["the-secret-1"], new Set(["skipped"]));
    assert.deepEqual(root.list, ["***", { deep: ["x *** y"] }, { value: "***" }, { value: "***" }]);
    assert.equal((root.opaque as Opaque).secret, "the-secret-1");
    assert.deepEqual(root.skipped, { value: "the-secret-1" });
  });

  it("an error message shown to the user never holds a URL's password", () => {
    assert.equal(
      errorMessage(new Error('bad value "amqps://agent:hunter2@rabbit:5671/" here')),
      'bad value "amqps://agent:***@rabbit:5671/" here',
    );
  });
});
