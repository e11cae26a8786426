// amqps:// through a TLS-terminating proxy the test starts in front of the local broker, with a CA
// and server certificates the test generates with openssl: connects with the CA (from config or
// AMQP_CA_FILE), refuses without it and refuses a certificate that does not name the host.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AgentProcess } from "../helpers/agent-process.js";
import { AMQP_URL, TestBroker, uniqueName } from "../helpers/broker.js";
import { type BrokerUser, createBrokerUser } from "../helpers/broker-user.js";
import { agentConfig } from "../helpers/config.js";
import { probeIds } from "../helpers/probe.js";
import { createTestCa, issueServerCert, type TestCa } from "../helpers/tls-certs.js";
import { startTlsProxy, type TlsProxy } from "../helpers/tls-proxy.js";
import { waitFor } from "../helpers/wait.js";

/** The agent must take TLS material only from what each test gives it, never from this shell. */
const NO_TLS_ENV: NodeJS.ProcessEnv = {
  AMQP_CA_FILE: undefined,
  AMQP_CERT_FILE: undefined,
  AMQP_KEY_FILE: undefined,
  AMQP_KEY_PASSPHRASE: undefined,
  NODE_EXTRA_CA_CERTS: undefined,
};

// What Node's TLS client says (verbatim) when it rejects the proxy's certificate.
/** The server sends its leaf only; without our CA, Node cannot build a chain to a trusted root. */
const UNKNOWN_CA = "unable to verify the first certificate";
/** A certificate for DNS:localhost presented to a client that dialled 127.0.0.1. */
const WRONG_NAME =
  "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: ";

describe("TLS (amqps://) through a TLS-terminating proxy", () => {
  const target = new URL(AMQP_URL);
  let ca: TestCa;
  /** Certificate for DNS:localhost and IP:127.0.0.1. */
  let proxy: TlsProxy;
  /** Certificate for DNS:localhost only. */
  let localhostOnly: TlsProxy;
  let user: BrokerUser;
  let broker: TestBroker;

  before(async () => {
    ca = await createTestCa();
    const both = await issueServerCert(ca, "server", ["DNS:localhost", "IP:127.0.0.1"]);
    const dnsOnly = await issueServerCert(ca, "server-dns-only", ["DNS:localhost"]);
    const to = { host: target.hostname, port: Number(target.port || 5672) };
    proxy = await startTlsProxy({ cert: both.cert, key: both.key, target: to });
    localhostOnly = await startTlsProxy({ cert: dnsOnly.cert, key: dnsOnly.key, target: to });
    user = await createBrokerUser("tls");
    broker = await TestBroker.connect();
  });

  after(async () => {
    await broker?.close();
    await user?.remove();
    await proxy?.close();
    await localhostOnly?.close();
    ca?.remove();
  });

  const amqpsUrl = (host: string, port: number) => `amqps://${user.name}:${user.password}@${host}:${port}/`;

  /** Awaits `step`; on failure adds the agent's latest output (read then, not when the step began). */
  async function withOutput<T>(agent: AgentProcess, step: Promise<T>): Promise<T> {
    try {
      return await step;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${message}\nagent stdout: ${agent.stdout.slice(-1500)}\nagent stderr: ${agent.stderr.slice(-500)}`,
      );
    }
  }

  function assertNoPassword(agent: AgentProcess): void {
    assert.ok(!agent.stdout.includes(user.password), "the broker password appears on the agent's stdout");
    assert.ok(!agent.stderr.includes(user.password), "the broker password appears on the agent's stderr");
  }

  /** Runs an agent against `through`, checks that messages reach the probe function, stops it. */
  async function connectsAndDelivers(
    through: TlsProxy,
    url: string,
    amqp: Record<string, unknown>,
    env: NodeJS.ProcessEnv,
  ): Promise<void> {
    const exchange = uniqueName("tls-ex");
    const queue = uniqueName("tls-q");
    const securedBefore = through.secured;
    const agent = AgentProcess.start(agentConfig({ exchange, queue, amqp: { host: url, ...amqp } }), {
      ...NO_TLS_ENV,
      ...env,
    });
    try {
      await withOutput(agent, agent.ready());
      assert.ok(through.secured > securedBefore, "the agent's connection did not go through the TLS proxy");
      const ids = [1, 2, 3, 4, 5];
      await broker.publish(
        exchange,
        "tls.test",
        ids.map((id) => ({ id })),
      );
      await waitFor(`probe to see ids ${ids.join(",")}`, () => {
        const seen = probeIds(queue);
        return ids.every((id) => seen.has(id));
      });
      assert.equal(await agent.stop(), 0, `exit code (stderr: ${agent.stderr.slice(-500)})`);
      assertNoPassword(agent);
    } finally {
      await agent.kill();
      await broker.cleanup([exchange], [queue, `${queue}.dlq`]);
    }
  }

  /** Runs an agent that must give up (max_retries 1, exit 1) with `reason` in its logs. */
  async function refused(
    through: TlsProxy,
    url: string,
    amqp: Record<string, unknown>,
    reason: string,
  ): Promise<void> {
    const exchange = uniqueName("tls-ex");
    const queue = uniqueName("tls-q");
    const before = {
      secured: through.secured,
      bytes: through.bytesToTarget,
      errors: through.handshakeErrors.length,
    };
    const agent = AgentProcess.start(
      agentConfig({ exchange, queue, amqp: { host: url, ...amqp }, connection: { max_retries: 1 } }),
      NO_TLS_ENV,
    );
    try {
      let exit: { code: number | null } | undefined;
      void agent.exited.then((code) => {
        exit = { code };
      });
      const { code } = await withOutput(
        agent,
        waitFor("the agent to give up", () => exit, 30_000),
      );
      assert.equal(code, 1, `exit code (stdout: ${agent.stdout.slice(-800)}\nstderr: ${agent.stderr})`);
      assert.ok(
        agent.stdout.includes(reason) || agent.stderr.includes(reason),
        `the logs do not mention "${reason}":\n${agent.stdout.slice(-2000)}\n${agent.stderr.slice(-1000)}`,
      );
      assert.equal(agent.countLogs(/consuming /), 0, "the agent consumed although TLS was refused");
      assert.ok(
        through.handshakeErrors.length > before.errors,
        "the proxy saw no failed handshake: did the agent reach it at all?",
      );
      assert.equal(through.secured, before.secured, "a TLS handshake completed");
      assert.equal(through.bytesToTarget, before.bytes, "AMQP bytes reached the broker");
      assertNoPassword(agent);
    } finally {
      await agent.kill();
      await broker.cleanup([exchange], [queue, `${queue}.dlq`]);
    }
  }

  it("connects with the CA from extra_config tls.ca_file", { timeout: 60_000 }, async () => {
    await connectsAndDelivers(
      proxy,
      amqpsUrl("localhost", proxy.port),
      { tls: { ca_file: ca.certFile } },
      {},
    );
  });

  it("connects with the CA from AMQP_CA_FILE", { timeout: 60_000 }, async () => {
    await connectsAndDelivers(proxy, amqpsUrl("localhost", proxy.port), {}, { AMQP_CA_FILE: ca.certFile });
  });

  it("refuses the server certificate without the CA and exits 1", { timeout: 60_000 }, async () => {
    await refused(proxy, amqpsUrl("localhost", proxy.port), {}, UNKNOWN_CA);
  });

  it("checks the server name: a certificate for localhost is refused via 127.0.0.1", {
    timeout: 90_000,
  }, async () => {
    await refused(
      localhostOnly,
      amqpsUrl("127.0.0.1", localhostOnly.port),
      { tls: { ca_file: ca.certFile } },
      WRONG_NAME,
    );
    // The same proxy and CA by the name the certificate carries: only the name was wrong.
    await connectsAndDelivers(
      localhostOnly,
      amqpsUrl("localhost", localhostOnly.port),
      { tls: { ca_file: ca.certFile } },
      {},
    );
  });
});
