/**
 * Reads a function's response for a partial batch failure (`{"batchItemFailures":[{"itemIdentifier":
 * "<deliveryTag>"}]}`). Returns the failed tags; `invalid` when the response names a message that
 * is not in the batch (or is malformed), in which case the whole batch counts as failed.
 */
export function readBatchResponse(
  payload: Uint8Array | undefined,
  batchTags: ReadonlySet<string>,
): { failed: Set<string> } | { invalid: string } {
  // Most responses say nothing about failures: skip parsing them.
  if (
    !payload ||
    !Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).includes("batchItemFailures")
  ) {
    return { failed: new Set() };
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload).toString("utf8"));
  } catch {
    return { failed: new Set() };
  }
  if (!body || typeof body !== "object" || !("batchItemFailures" in body)) return { failed: new Set() };
  const items = (body as { batchItemFailures: unknown }).batchItemFailures;
  if (items === null || items === undefined) return { failed: new Set() };
  if (!Array.isArray(items)) return { invalid: "batchItemFailures is not a list" };
  const failed = new Set<string>();
  for (const item of items) {
    const id = (item as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const tag = typeof id === "number" ? String(id) : id;
    if (typeof tag !== "string" || !batchTags.has(tag)) {
      return {
        invalid: `batchItemFailures names ${JSON.stringify(id)}, which is not a deliveryTag of this batch`,
      };
    }
    failed.add(tag);
  }
  return { failed };
}
