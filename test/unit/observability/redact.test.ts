import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LogThrottle } from "../../../src/observability/log-throttle.js";
import { redactUrl, SecretScrubber } from "../../../src/observability/redact.js";

describe("redactUrl", () => {
  it("hides the password", () => {
    assert.equal(redactUrl("amqp://user:p%40ss@host:5672/vh"), "amqp://user:***@host:5672/vh");
    assert.equal(redactUrl("amqps://host/"), "amqps://host/");
  });
});

describe("SecretScrubber", () => {
  it("removes every secret, also URL- and JSON-escaped", () => {
    const scrubber = new SecretScrubber();
    scrubber.add('p@ss"word', "abc");
    assert.equal(scrubber.scrub('x p@ss"word y p%40ss%22word z p@ss\\"word abc'), "x *** y *** z *** abc");
  });
});

describe("LogThrottle", () => {
  it("admits the first, then one per window with the count of suppressed ones", () => {
    let now = 0;
    const throttle = new LogThrottle(1000, () => now);
    assert.equal(throttle.admit("k"), 0);
    assert.equal(throttle.admit("k"), undefined);
    assert.equal(throttle.admit("k"), undefined);
    assert.equal(throttle.admit("other"), 0);
    now = 1500;
    assert.equal(throttle.admit("k"), 2);
  });
});

describe("redaction of host lists", () => {
  it("masks every URL's password in a list, whatever the password holds", () => {
    const urls = [
      "amqp://a:p1-secret@n1:5672/",
      "amqps://b:p%40ss@n2:5671/vh",
      "amqp://c:raw@at@n3:5672/",
      "amqp://d:x@n4/",
      "amqp://n5:5672/",
    ];
    const scrubber = new SecretScrubber();
    const text = scrubber.scrub(JSON.stringify({ host: urls }));
    assert.equal(
      text,
      JSON.stringify({
        host: [
          "amqp://a:***@n1:5672/",
          "amqps://b:***@n2:5671/vh",
          "amqp://c:***@n3:5672/",
          "amqp://d:***@n4/",
          "amqp://n5:5672/",
        ],
      }),
    );
    for (const url of urls) assert.doesNotMatch(redactUrl(url), /p1-secret|p%40ss|raw@at|:x@/);
  });
});
