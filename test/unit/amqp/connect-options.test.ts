import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  brokerAddress,
  nodeAddress,
  readTlsMaterial,
  socketOptions,
  vhostOf,
} from "../../../src/amqp/connect-options.js";
import { ConfigError } from "../../../src/errors.js";
import { agentConfig } from "../pipeline/fakes.js";

const TLS_URL = "amqps://u:p@broker.example:5671/";

function pemFiles() {
  const dir = mkdtempSync(join(tmpdir(), "connect-options-"));
  const path = (name: string) => {
    const file = join(dir, name);
    writeFileSync(file, `-----${name}-----`);
    return file;
  };
  return { ca: path("ca.pem"), cert: path("cert.pem"), key: path("key.pem"), missing: join(dir, "none.pem") };
}

describe("readTlsMaterial", () => {
  it("nothing without an amqps node, whatever the environment says", () => {
    const files = pemFiles();
    assert.deepEqual(readTlsMaterial(agentConfig(), { AMQP_CA_FILE: files.ca }), {});
  });

  it("reads the files the config names, once", () => {
    const files = pemFiles();
    const config = agentConfig({
      amqp: {
        host: TLS_URL,
        tls: { ca_file: files.ca, cert_file: files.cert, key_file: files.key, passphrase: "pw" },
      },
    });
    const material = readTlsMaterial(config, {});
    assert.equal(material.ca?.[0]?.toString(), "-----ca.pem-----");
    assert.equal(material.cert?.toString(), "-----cert.pem-----");
    assert.equal(material.key?.toString(), "-----key.pem-----");
    assert.equal(material.passphrase, "pw");
  });

  it("falls back to the environment", () => {
    const files = pemFiles();
    const material = readTlsMaterial(agentConfig({ amqp: { host: TLS_URL } }), {
      AMQP_CA_FILE: files.ca,
      AMQP_KEY_PASSPHRASE: "env-pw",
    });
    assert.equal(material.ca?.[0]?.toString(), "-----ca.pem-----");
    assert.equal(material.cert, undefined);
    assert.equal(material.passphrase, "env-pw");
  });

  it("a file that cannot be read is a config error at its field", () => {
    const files = pemFiles();
    const config = agentConfig({ amqp: { host: TLS_URL, tls: { key_file: files.missing } } });
    assert.throws(
      () => readTlsMaterial(config, {}),
      (error: unknown) =>
        error instanceof ConfigError &&
        /tls\.key_file/.test(error.path) &&
        /cannot read .*none\.pem/.test(error.message),
    );
  });
});

describe("socketOptions", () => {
  it("a plain node: the connection's name, a connect timeout, no Nagle; no TLS options", () => {
    const options = socketOptions(agentConfig(), "amqp://localhost:5672/", { ca: [Buffer.from("x")] });
    assert.deepEqual(options, {
      clientProperties: { connection_name: `amqp-lambda-agent:cool-agent:${process.pid}` },
      timeout: 10_000,
      noDelay: true,
    });
  });

  it("a TLS node: the material, the node's own host name checked, certificates verified", () => {
    const ca = [Buffer.from("ca")];
    const options = socketOptions(agentConfig({ amqp: { host: TLS_URL } }), TLS_URL, { ca });
    assert.equal(options.ca, ca);
    assert.equal(options.servername, "broker.example");
    assert.equal(options.rejectUnauthorized, true);
  });

  it("an IP address is not a server name; tls.server_name and reject_unauthorized are honoured", () => {
    const plain = agentConfig({ amqp: { host: TLS_URL } });
    assert.equal(socketOptions(plain, "amqps://10.0.0.1/", {}).servername, undefined);
    assert.equal(socketOptions(plain, "amqps://[::1]:5671/", {}).servername, undefined);
    const named = agentConfig({
      amqp: { host: TLS_URL, tls: { server_name: "rabbit.internal", reject_unauthorized: false } },
    });
    const options = socketOptions(named, "amqps://10.0.0.1/", {});
    assert.equal(options.servername, "rabbit.internal");
    assert.equal(options.rejectUnauthorized, false);
  });
});

describe("addresses of a node", () => {
  it("vhostOf: the path without its slash, '/' when empty, percent-decoded", () => {
    assert.equal(vhostOf("amqp://h/"), "/");
    assert.equal(vhostOf("amqp://h"), "/");
    assert.equal(vhostOf("amqp://h/orders"), "orders");
    assert.equal(vhostOf("amqp://h/%2Fprod"), "/prod");
  });

  it("brokerAddress never carries the credentials", () => {
    assert.equal(brokerAddress("amqp://user:secret@h:5672/v"), "amqp://h:5672/v");
  });

  it("nodeAddress: host:port, with AMQP's default ports", () => {
    assert.equal(nodeAddress("amqp://u:p@h/"), "h:5672");
    assert.equal(nodeAddress("amqps://h/"), "h:5671");
    assert.equal(nodeAddress("amqp://h:5680/"), "h:5680");
  });
});
