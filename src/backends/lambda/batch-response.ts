/** What Lambda says a function answered: JSON. */
export const JSON_RESPONSE = "application/json";

/**
 * A function's response as JSON: `null` for an empty (or blank) payload, `undefined` when it is not
 * JSON. Parsed once per response and shared by the readers below.
 */
export function responseJson(payload: Uint8Array | undefined): unknown {
  if (!payload || payload.byteLength === 0) return null;
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("utf8");
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads a function's response for a partial batch failure (`{"batchItemFailures":[{"itemIdentifier":
 * "<deliveryTag>"}]}`), as Lambda reads SQS partial batch responses: a response that is not JSON,
 * a malformed list, or an identifier that is not a message of the batch fails the whole batch
 * (`invalid`); valid JSON without a `batchItemFailures` list (or an empty response) is success.
 * `body` is the response already parsed by `responseJson`, when the caller has it.
 */
export function readBatchResponse(
  payload: Uint8Array | undefined,
  batchTags: ReadonlySet<string>,
  body: unknown = responseJson(payload),
): { failed: Set<string> } | { invalid: string } {
  if (body === undefined) return { invalid: "the function's response is not valid JSON" };
  if (
    body === null ||
    typeof body !== "object" ||
    Array.isArray(body) ||
    !Object.hasOwn(body, "batchItemFailures")
  ) {
    return { failed: new Set() };
  }
  const items = (body as { batchItemFailures: unknown }).batchItemFailures;
  if (items === null || items === undefined) return { failed: new Set() };
  if (!Array.isArray(items)) return { invalid: "batchItemFailures is not a list" };
  const failed = new Set<string>();
  for (const item of items) {
    const id =
      item !== null && typeof item === "object"
        ? (item as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    const tag = typeof id === "number" ? String(id) : id;
    if (typeof tag !== "string" || !batchTags.has(tag)) {
      return {
        invalid: `batchItemFailures names ${describe(id)}, which is not a deliveryTag of this batch`,
      };
    }
    failed.add(tag);
  }
  return { failed };
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.slice(0, 100));
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined)
    return String(value);
  return `a ${Array.isArray(value) ? "list" : typeof value}`;
}
