import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { ConfigError } from "../../../../src/errors.js";
import { type HttpStub, startHttpStub } from "../../../helpers/http-stub.js";
import { createTestCa, issueServerCert, type TestCa } from "../../../helpers/tls-certs.js";
import { AT, failureOf, httpBackend, sendOne, withBackend } from "./http-backend-fixtures.js";

const run = promisify(execFile);

/** A forward proxy on 127.0.0.1 that tunnels CONNECT requests and records their targets. */
async function startConnectProxy(): Promise<{ url: string; targets: string[]; close(): Promise<void> }> {
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on("connect", (req, client: Socket) => {
    targets.push(req.url ?? "");
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.pipe(client).pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.once("close", () => sockets.delete(socket));
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    targets,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

describe("HTTP backend: TLS, proxies, rate limit", () => {
  let ca: TestCa;
  let httpsStub: HttpStub;
  before(async () => {
    ca = await createTestCa();
    const cert = await issueServerCert(ca, "server", ["IP:127.0.0.1", "DNS:localhost"]);
    httpsStub = await startHttpStub({ tls: { key: cert.key, cert: cert.cert } });
  });
  after(async () => {
    await httpsStub.close();
    ca.remove();
  });

  it("refuses a server its CAs do not vouch for, as a systemic network failure", async () => {
    await withBackend({ host: [httpsStub.url] }, async (backend) => {
      const { failure, scope } = failureOf((await sendOne(backend)).outcome);
      assert.equal(failure.kind, "network");
      assert.match(failure.errorType, /CERT|VERIFY|SELF_SIGNED/);
      assert.equal(scope, "systemic");
    });
  });

  it("trusts tls.ca_file, with the default authorities", async () => {
    await withBackend(
      {
        host: [httpsStub.url],
        extra_config: { "amqp_lambda_agent/http": { tls: { ca_file: ca.certFile } } },
      },
      async (backend) => {
        assert.equal((await sendOne(backend)).outcome.kind, "succeeded");
      },
    );
  });

  it("fails at creation, naming the path, when ca_file cannot be read", () => {
    const file = join(ca.dir, "missing.pem");
    assert.throws(
      () =>
        httpBackend({
          host: [httpsStub.url],
          extra_config: { "amqp_lambda_agent/http": { tls: { ca_file: file } } },
        }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.path === `${AT}.extra_config["amqp_lambda_agent/http"].tls.ca_file` &&
        error.message.includes(file),
    );
  });

  it("trusts NODE_EXTRA_CA_CERTS, with and without a ca_file of its own", async () => {
    const other = await createTestCa();
    const script = join(ca.dir, "send-once.mts");
    // Node reads NODE_EXTRA_CA_CERTS at start-up: a child process sends once per ca_file argument ("-": none).
    writeFileSync(
      script,
      `import { httpBackend, sendOne } from ${JSON.stringify(join(import.meta.dirname, "http-backend-fixtures.ts"))};
const [url, ...caFiles] = process.argv.slice(2);
const kinds = [];
for (const caFile of caFiles) {
  const http = caFile === "-" ? {} : { tls: { ca_file: caFile } };
  const backend = httpBackend({ host: [url], extra_config: { "amqp_lambda_agent/http": http } });
  const { outcome } = await sendOne(backend);
  backend.close();
  kinds.push(outcome.kind === "failed" ? outcome.failure.errorType : outcome.kind);
}
process.stdout.write(kinds.join(","));
`,
    );
    const unrelated = httpBackend({
      host: [httpsStub.url],
      extra_config: { "amqp_lambda_agent/http": { tls: { ca_file: other.certFile } } },
    });
    try {
      const env = { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: ca.certFile };
      const args = ["--import", "tsx", script, httpsStub.url, "-", other.certFile];
      const { stdout } = await run(process.execPath, args, { env, timeout: 60_000 });
      assert.equal(stdout, "succeeded,succeeded");
      // The same ca_file without NODE_EXTRA_CA_CERTS (this process has none): refused.
      assert.match(
        failureOf((await sendOne(unrelated)).outcome).failure.errorType,
        /CERT|VERIFY|SELF_SIGNED/,
      );
    } finally {
      unrelated.close();
      other.remove();
    }
  });

  it("goes through HTTP_PROXY / HTTPS_PROXY unless NO_PROXY names the host", async () => {
    const proxy = await startConnectProxy();
    const plain = await startHttpStub();
    const { port } = new URL(plain.url);
    const viaProxy = httpBackend({ host: [plain.url] }, { env: { HTTP_PROXY: proxy.url } });
    const viaHttpsProxy = httpBackend(
      {
        host: [httpsStub.url],
        extra_config: { "amqp_lambda_agent/http": { tls: { ca_file: ca.certFile } } },
      },
      { env: { https_proxy: proxy.url } },
    );
    const direct = httpBackend(
      { host: [plain.url] },
      { env: { HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" } },
    );
    try {
      assert.equal((await sendOne(viaProxy)).outcome.kind, "succeeded");
      assert.deepEqual(proxy.targets, [`127.0.0.1:${port}`]);
      assert.equal((await sendOne(viaHttpsProxy)).outcome.kind, "succeeded");
      assert.deepEqual(proxy.targets.at(-1), `127.0.0.1:${new URL(httpsStub.url).port}`);
      assert.equal((await sendOne(direct)).outcome.kind, "succeeded");
      assert.equal(proxy.targets.length, 2, "NO_PROXY was not honoured");
      assert.equal(plain.requests.length, 2);
    } finally {
      for (const backend of [viaProxy, viaHttpsProxy, direct]) backend.close();
      await plain.close();
      await proxy.close();
    }
  });

  it("waits for qos/ratelimit/proxy's token before a request starts", async () => {
    const plain = await startHttpStub();
    const backend = httpBackend({
      host: [plain.url],
      extra_config: { "qos/ratelimit/proxy": { max_rate: 1, capacity: 1, every: "300ms" } },
    });
    try {
      const first = await sendOne(backend);
      const second = await sendOne(backend);
      const gap = second.call.startedAt - first.call.startedAt;
      assert.ok(gap >= 250, `the second request started ${gap} ms after the first`);
      assert.equal(second.outcome.kind, "succeeded");
    } finally {
      backend.close();
      await plain.close();
    }
  });
});
