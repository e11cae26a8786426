import { createHash, createHmac, createSecretKey, type Hash, type Hmac, type KeyObject } from "node:crypto";
import type { Checksum, SourceData } from "@smithy/types";

/** HMAC keys given as bytes, as KeyObjects: the signer passes the same signing key object for a day. */
const keyObjects = new WeakMap<object, KeyObject>();

/**
 * The key for `createHmac`. Node 24's `createHmac` first asks whether a key is a KeyObject or a
 * CryptoKey by catching what a native check throws: two exceptions per call for a byte key (measured:
 * about a tenth of the agent's CPU at 2,000 invokes/s). A KeyObject passes the first check at once.
 * Strings fail both checks without throwing and go as they are. A key's bytes must not change after
 * its first use (the signer's cached signing keys never do).
 */
function hmacKey(secret: SourceData): string | KeyObject {
  if (typeof secret === "string") return secret;
  let key = keyObjects.get(secret);
  if (!key) {
    const bytes = ArrayBuffer.isView(secret)
      ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength)
      : Buffer.from(secret);
    key = createSecretKey(bytes);
    keyObjects.set(secret, key);
  }
  return key;
}

/**
 * SHA-256 and HMAC-SHA-256 for the SigV4 signer of the http invoke path: the SDK's node:crypto
 * `Sha256` (same results, same behaviour after `digest`), with byte keys turned into KeyObjects once.
 */
export class SignerSha256 implements Checksum {
  private hash: Hash | Hmac;
  private finished = false;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }

  update(data: Uint8Array): void {
    if (this.finished) throw new Error("Attempted to update an already finished hash.");
    this.hash.update(data);
  }

  async digest(): Promise<Uint8Array> {
    let buffer: Buffer;
    if (this.secret) {
      this.finished = true;
      buffer = this.hash.digest();
    } else {
      buffer = (this.hash as Hash).copy().digest();
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  reset(): void {
    this.hash = this.create();
    this.finished = false;
  }

  private create(): Hash | Hmac {
    return this.secret ? createHmac("sha256", hmacKey(this.secret)) : createHash("sha256");
  }
}
