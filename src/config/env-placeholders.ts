import { ConfigError } from "../errors.js";
import { isPlainObject } from "../shared/is-plain-object.js";

const PLACEHOLDER = /\{\{\s*env\s+"([^"]+)"\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\s*\{\{\s*env\s+"([^"]+)"\s*\}\}\s*$/;

/** NAME when a value is exactly one `{{ env "NAME" }}` placeholder (a secret's reference), else undefined. */
export function envPlaceholderName(value: unknown): string | undefined {
  return typeof value === "string" ? WHOLE_PLACEHOLDER.exec(value)?.[1] : undefined;
}

/**
 * Replaces every `{{ env "NAME" }}` inside string values (recursively) with the variable's value.
 * A variable that is not set is an error naming the JSON path and the variable. Substituted values
 * are not secrets by themselves: the loader treats passwords and passphrases as secrets wherever
 * they came from, and leaves names (queues, exchanges, ports) readable.
 */
export function substituteEnv(raw: unknown, env: NodeJS.ProcessEnv, path = ""): unknown {
  const walk = (value: unknown, at: string): unknown => {
    if (typeof value === "string") {
      return value.replace(PLACEHOLDER, (_all, name: string) => {
        const found = env[name];
        if (found === undefined) {
          throw new ConfigError(
            at,
            `environment variable ${name} is not set; export it or remove the {{ env "${name}" }} placeholder`,
          );
        }
        return found;
      });
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, `${at}[${i}]`));
    if (isPlainObject(value)) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, walk(item, joinPath(at, key))]),
      );
    }
    return value;
  };
  return walk(raw, path);
}

/** Appends a key to a JSON path, quoting keys that are not plain identifiers (`extra_config["async/amqp"]`). */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}
