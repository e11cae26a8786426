import { randomUUID } from "node:crypto";
import type { ConsumeMessage } from "amqplib";
import type { EventFormat, LargePayloadSettings } from "../../../config/types.js";
import { delay } from "../../../shared/delay.js";
import { EXTENDED_PAYLOAD_SIZE_HEADER, readS3Pointer, s3PointerJson } from "../../../shared/s3-pointer.js";
import type { Failure, OutgoingMessage } from "../../backend.js";
import { encodeEventMessage } from "../event-bytes.js";
import { classifyS3Failure } from "./classify-s3-failure.js";
import { chooseOffloads } from "./offload-choice.js";
import type { PayloadStore } from "./s3-payload-store.js";

/** An object the agent uploaded that it could not delete (retried 3 times): the lifecycle rule's. */
export interface Orphan {
  bucket: string;
  key: string;
  failure: Failure;
}

export interface LargePayloadOptions {
  settings: LargePayloadSettings;
  store: PayloadStore;
  eventFormat: EventFormat;
  /** A message whose `fullShare` is over this does not fit an invocation on its own (the default threshold). */
  maxShare: number;
  /** Bytes a message adds to a payload with its body in it (no encoding done). Throws for headers it cannot carry. */
  fullShare(out: OutgoingMessage): number;
  onOrphan(orphan: Orphan): void;
  /** Tests: the wait before retry `n` (1..3) of a failed delete. */
  deleteRetryDelayMs?: (retry: number) => number;
}

/** Bytes of a key's random part (a UUID): every key of a prefix has the same length. */
const KEY_ID_LENGTH = 36;
const DELETE_RETRIES = 3;
const defaultDeleteRetryDelay = (retry: number) => 100 * 2 ** retry;

/** What is known of a message's body from its first sight (its body may later be a getter that decodes it). */
interface BodyFacts {
  bytes: number;
  /** A publisher's own extended-client pointer: it passes through as it is. */
  pointer: boolean;
  fullShare: number;
}

interface Upload {
  key: string;
  /** What the message adds to the payload instead of its body: its record with the pointer (`rmq`), or the pointer (`body`). */
  part: Buffer;
}

/**
 * The claim check of `large_payload`: which messages of a batch go to S3, their upload (once per
 * delivery: in-process retries and probes reuse it), the part they add to the payload instead
 * (the extended clients' pointer as `data`, with an `ExtendedPayloadSize` header), and the delete
 * once the message is no longer held. The message's own body is never changed: copies (dead
 * letters, retry queues) carry the original.
 */
export class LargePayload {
  private readonly uploads = new WeakMap<OutgoingMessage, Upload>();
  private readonly pointerShares = new WeakMap<OutgoingMessage, number>();
  private readonly factsOf = new WeakMap<OutgoingMessage, BodyFacts>();
  private readonly deletes = new Set<Promise<void>>();

  constructor(private readonly options: LargePayloadOptions) {}

  /** Bytes the message adds to a batch: its pointer's, when it may go to S3. */
  sizeOf(out: OutgoingMessage): number {
    return this.uploads.has(out) || this.offloadable(out)
      ? this.pointerShare(out)
      : this.facts(out).fullShare;
  }

  /**
   * Uploads what the batch needs in S3 (`chooseOffloads`); the part of each message that goes as a
   * pointer, or the S3 failure when an upload failed (the uploads that worked are kept).
   */
  async prepare(
    batch: readonly OutgoingMessage[],
    maxBytes: number,
  ): Promise<{ parts: Map<OutgoingMessage, Buffer> } | { failure: Failure }> {
    const chosen = chooseOffloads(
      batch.map((out) => {
        return {
          fullBytes: this.facts(out).fullShare,
          pointerBytes: this.pointerShare(out),
          must: this.uploads.has(out) || this.mustOffload(out),
          offloadable: this.offloadable(out),
        };
      }),
      maxBytes,
    );
    const offloaded = batch.filter((_, index) => chosen.has(index));
    const failures = await Promise.all(offloaded.map((out) => this.upload(out)));
    const failure = failures.find((found) => found !== undefined);
    if (failure) return { failure };
    return { parts: new Map(offloaded.map((out) => [out, (this.uploads.get(out) as Upload).part])) };
  }

  /** The message is no longer held: its object (if this delivery uploaded one) is deleted, with `cleanup: after_ack`. */
  released(out: OutgoingMessage): void {
    const upload = this.uploads.get(out);
    if (!upload) return;
    this.uploads.delete(out);
    if (this.options.settings.cleanup === "never") return;
    const deleting = this.deleteWithRetries(upload.key).finally(() => this.deletes.delete(deleting));
    this.deletes.add(deleting);
  }

  /** Waits for the deletes under way, then lets the S3 client go. */
  async close(): Promise<void> {
    while (this.deletes.size > 0) await Promise.all([...this.deletes]);
    this.options.store.close();
  }

  private facts(out: OutgoingMessage): BodyFacts {
    const known = this.factsOf.get(out);
    if (known) return known;
    const { content } = out.message;
    let fullShare = 0;
    try {
      fullShare = this.options.fullShare(out);
    } catch {
      // Headers it cannot carry: it fails on its own when sent.
    }
    const facts = { bytes: content.byteLength, pointer: readS3Pointer(content) !== undefined, fullShare };
    this.factsOf.set(out, facts);
    return facts;
  }

  private mustOffload(out: OutgoingMessage): boolean {
    const { settings } = this.options;
    const facts = this.facts(out);
    if (facts.pointer) return false;
    if (settings.always) return true;
    if (settings.threshold !== undefined) return facts.bytes > settings.threshold;
    return facts.fullShare > this.options.maxShare;
  }

  private offloadable(out: OutgoingMessage): boolean {
    const facts = this.facts(out);
    if (facts.pointer) return false;
    return this.options.settings.always || facts.bytes > this.pointerLength();
  }

  private pointerLength(): number {
    return Buffer.byteLength(this.pointerJson("x".repeat(KEY_ID_LENGTH)));
  }

  private pointerShare(out: OutgoingMessage): number {
    const known = this.uploads.get(out)?.part.byteLength ?? this.pointerShares.get(out);
    if (known !== undefined) return known + 1;
    let bytes = 0;
    try {
      bytes = this.pointerPart(out, "x".repeat(KEY_ID_LENGTH)).byteLength;
    } catch {
      // Headers it cannot carry: it fails on its own when sent.
    }
    this.pointerShares.set(out, bytes);
    return bytes + 1;
  }

  private pointerJson(id: string): string {
    return s3PointerJson({
      bucket: this.options.store.bucket,
      key: `${this.options.settings.keyPrefix}${id}`,
    });
  }

  private pointerPart(out: OutgoingMessage, id: string): Buffer {
    const pointer = Buffer.from(this.pointerJson(id));
    if (this.options.eventFormat === "body") return pointer;
    const { message } = out;
    const { bytes } = this.facts(out);
    const stand: ConsumeMessage = {
      fields: message.fields,
      properties: {
        ...message.properties,
        headers: { ...message.properties.headers, [EXTENDED_PAYLOAD_SIZE_HEADER]: bytes },
      },
      content: pointer,
    };
    return encodeEventMessage(stand, out.origin, { bodySize: bytes });
  }

  /** Uploads the message's body unless this delivery already did; the S3 failure, if any. */
  private async upload(out: OutgoingMessage): Promise<Failure | undefined> {
    if (this.uploads.has(out)) return undefined;
    const id = randomUUID();
    const key = `${this.options.settings.keyPrefix}${id}`;
    const startedAt = performance.now();
    try {
      await this.options.store.put(key, out.message.content);
    } catch (thrown) {
      const request = { operation: "upload" as const, bucket: this.options.store.bucket, key };
      return classifyS3Failure(thrown, request, performance.now() - startedAt);
    }
    this.uploads.set(out, { key, part: this.pointerPart(out, id) });
    return undefined;
  }

  private async deleteWithRetries(key: string): Promise<void> {
    const { store } = this.options;
    const retryDelay = this.options.deleteRetryDelayMs ?? defaultDeleteRetryDelay;
    for (let retry = 0; ; retry += 1) {
      const startedAt = performance.now();
      try {
        await store.remove(key);
        return;
      } catch (thrown) {
        if (retry >= DELETE_RETRIES) {
          const request = { operation: "delete" as const, bucket: store.bucket, key };
          this.options.onOrphan({
            bucket: store.bucket,
            key,
            failure: classifyS3Failure(thrown, request, performance.now() - startedAt),
          });
          return;
        }
      }
      await delay(retryDelay(retry + 1));
    }
  }
}
