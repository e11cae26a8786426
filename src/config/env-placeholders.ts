import { ConfigError } from "../errors.js";

const PLACEHOLDER = /\{\{\s*env\s+"([^"]+)"\s*\}\}/g;

export interface Substitution {
  value: unknown;
  /** Values that came from the environment: treated as secrets and redacted from every log line. */
  secrets: string[];
}

/**
 * Replaces every `{{ env "NAME" }}` inside string values (recursively) with the variable's value.
 * A variable that is not set is an error naming the JSON path and the variable.
 */
export function substituteEnv(raw: unknown, env: NodeJS.ProcessEnv, path = ""): Substitution {
  const secrets: string[] = [];
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
        if (found.length >= 4) secrets.push(found);
        return found;
      });
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, `${at}[${i}]`));
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, walk(item, joinPath(at, key))]),
      );
    }
    return value;
  };
  return { value: walk(raw, path), secrets };
}

/** Appends a key to a JSON path, quoting keys that are not plain identifiers (`extra_config["async/amqp"]`). */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}
