/**
 * True when a content type denotes JSON: `application/json` or any `+json` suffix
 * (`application/vnd.api+json`), case-insensitive, parameters such as `; charset=utf-8` allowed.
 */
export function isJsonContentType(contentType: string | null | undefined): boolean {
  if (typeof contentType !== "string") return false;
  const mediaType = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  return mediaType === "application/json" || (mediaType.includes("/") && mediaType.endsWith("+json"));
}

/** The result of decoding a body: either `body`, or `parseError` with the body as text. */
export type DecodedBody = { body: unknown; parseError?: undefined } | { body: string; parseError: Error };

/**
 * Decodes a body: JSON-parsed when the content type is JSON, otherwise the UTF-8 string
 * (invalid UTF-8 sequences become U+FFFD; use `rawBody` for binary content).
 * `contentEncoding` (e.g. gzip) is not undone. Never throws.
 */
export function decodeBody(rawBody: Buffer, contentType: string | null | undefined): DecodedBody {
  const text = rawBody.toString("utf8");
  if (!isJsonContentType(contentType)) return { body: text };
  try {
    return { body: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      body: text,
      parseError: new Error(`invalid JSON body (content type ${contentType}): ${reason}`, { cause: error }),
    };
  }
}
