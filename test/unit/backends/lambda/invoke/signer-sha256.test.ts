import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Sha256 } from "@smithy/core/checksum";
import { SignerSha256 } from "../../../../../src/backends/aws/signer-sha256.js";

const DATA = new TextEncoder().encode("AWS4-HMAC-SHA256\n20260102T030405Z\nscope\nhash");

async function both(secret?: string | Uint8Array | ArrayBuffer): Promise<[Uint8Array, Uint8Array]> {
  const ours = new SignerSha256(secret);
  const sdk = new Sha256(secret);
  ours.update(DATA);
  sdk.update(DATA);
  return [await ours.digest(), await sdk.digest()];
}

describe("the signer's SHA-256 (byte HMAC keys as KeyObjects)", () => {
  it("hashes and HMACs exactly as the SDK's Sha256, whatever form the key has", async () => {
    const bytes = new Uint8Array(32).map((_, i) => (i * 37) & 0xff);
    const view = new Uint8Array(Buffer.concat([Buffer.alloc(5, 1), Buffer.from(bytes)]).buffer, 5, 32);
    for (const secret of [undefined, "AWS4wJalrXUtnFEMI/K7MDENG", bytes, view, bytes.slice().buffer]) {
      const [ours, sdk] = await both(secret);
      assert.deepEqual(Buffer.from(ours), Buffer.from(sdk));
    }
  });

  it("reuses a byte key's KeyObject: the same key object gives the same HMAC every time", async () => {
    const key = new Uint8Array(32).fill(7);
    const [first] = await both(key);
    const [second] = await both(key);
    assert.deepEqual(Buffer.from(first), Buffer.from(second));
  });

  it("keeps the SDK's behaviour after digest: a hash goes on, an HMAC is finished until reset", async () => {
    const hash = new SignerSha256();
    hash.update(DATA);
    await hash.digest();
    hash.update(DATA);
    const sdk = new Sha256();
    sdk.update(DATA);
    sdk.update(DATA);
    assert.deepEqual(Buffer.from(await hash.digest()), Buffer.from(await sdk.digest()));

    const hmac = new SignerSha256(new Uint8Array([1, 2, 3]));
    hmac.update(DATA);
    await hmac.digest();
    assert.throws(() => hmac.update(DATA), /already finished/);
    hmac.reset();
    hmac.update(DATA);
    const reference = new Sha256(new Uint8Array([1, 2, 3]));
    reference.update(DATA);
    assert.deepEqual(Buffer.from(await hmac.digest()), Buffer.from(await reference.digest()));
  });
});
