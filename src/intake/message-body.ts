import { decodeUtf8 } from "../backends/lambda/event.js";

const NOT_JSON = Symbol("not JSON");

/**
 * A message body parsed as JSON at most once, on demand (for `order_key: body:…` and filters that
 * look into `data`). A body that is not UTF-8 or not JSON has no JSON value (`undefined`).
 */
export class MessageBody {
  private parsed: unknown = undefined;
  private done = false;

  constructor(private readonly content: Buffer) {}

  json(): unknown {
    if (!this.done) {
      this.done = true;
      const text = decodeUtf8(this.content);
      try {
        this.parsed = text === undefined ? NOT_JSON : JSON.parse(text);
      } catch {
        this.parsed = NOT_JSON;
      }
    }
    return this.parsed === NOT_JSON ? undefined : this.parsed;
  }

  /** Whether the body is JSON (a JSON `null` is). */
  get isJson(): boolean {
    this.json();
    return this.parsed !== NOT_JSON;
  }
}
