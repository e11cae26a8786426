import { ConfigError } from "../errors.js";

/**
 * A filter pattern that cannot be compiled. It is a configuration error (code `CONFIG_INVALID`);
 * `path` locates the bad part inside the list of patterns, e.g. `[0].data.amount[0].numeric`, and
 * `detail` is the message without the path, so a caller can prefix its own config path.
 */
export class FilterPatternError extends ConfigError {
  readonly detail: string;

  constructor(path: string, detail: string) {
    super(path, detail);
    this.detail = detail;
  }
}
