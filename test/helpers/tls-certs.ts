import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A test certificate authority made with `openssl`, living in its own temporary directory. */
export interface TestCa {
  dir: string;
  /** PEM file of the CA certificate (what `ca_file` / `AMQP_CA_FILE` point at). */
  certFile: string;
  keyFile: string;
  remove(): void;
}

/** A server key and certificate signed by a `TestCa`. */
export interface ServerCert {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

async function openssl(cwd: string, ...args: string[]): Promise<void> {
  try {
    await run("openssl", args, { cwd, timeout: 30_000 });
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(`openssl ${args.join(" ")} failed: ${e.message}\n${e.stderr ?? ""}`);
  }
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** Generates a self-signed CA (P-256 key, valid two days) in a fresh temporary directory. */
export async function createTestCa(): Promise<TestCa> {
  const dir = mkdtempSync(join(tmpdir(), "amqp-lambda-agent-tls-"));
  const certFile = join(dir, "ca.pem");
  const keyFile = join(dir, "ca.key");
  await openssl(
    dir,
    "req",
    "-x509",
    ...EC_KEY,
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "2",
    "-subj",
    `/CN=amqp-lambda-agent test CA ${randomBytes(4).toString("hex")}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  return { dir, certFile, keyFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Issues a server certificate signed by `ca` for the given subjectAltName entries
 * (e.g. `["DNS:localhost", "IP:127.0.0.1"]`). `name` names the files in the CA's directory.
 */
export async function issueServerCert(
  ca: TestCa,
  name: string,
  altNames: readonly string[],
): Promise<ServerCert> {
  const keyFile = join(ca.dir, `${name}.key`);
  const csrFile = join(ca.dir, `${name}.csr`);
  const certFile = join(ca.dir, `${name}.pem`);
  const extFile = join(ca.dir, `${name}.ext`);
  writeFileSync(
    extFile,
    [
      `subjectAltName=${altNames.join(",")}`,
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      "",
    ].join("\n"),
  );
  await openssl(
    ca.dir,
    "req",
    "-new",
    ...EC_KEY,
    "-keyout",
    keyFile,
    "-out",
    csrFile,
    "-subj",
    "/CN=localhost",
  );
  await openssl(
    ca.dir,
    "x509",
    "-req",
    "-in",
    csrFile,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    "-set_serial",
    `0x${randomBytes(8).toString("hex")}`,
    "-days",
    "2",
    "-extfile",
    extFile,
    "-out",
    certFile,
  );
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}
