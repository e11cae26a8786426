/**
 * Whether, where and how spans are exported, from the standard OpenTelemetry environment variables
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/). Export is
 * on only when an OTLP endpoint is set; OTLP over HTTP only (`http/protobuf`, the default, or
 * `http/json`).
 *
 * @module
 */

export type TracingEnv = Readonly<Record<string, string | undefined>>;

export type OtlpProtocol = "http/protobuf" | "http/json";

export type SamplerName =
  | "always_on"
  | "always_off"
  | "traceidratio"
  | "parentbased_always_on"
  | "parentbased_always_off"
  | "parentbased_traceidratio";

export interface ExportSettings {
  /** The full URL spans are posted to (…/v1/traces). */
  url: string;
  protocol: OtlpProtocol;
  serviceName: string;
  sampler: SamplerName;
  /** The ratio of the `traceidratio` samplers, in [0, 1]. */
  samplerRatio: number;
}

export interface ExportDecision {
  /** `undefined`: no export (spans are not recorded, only the context is propagated). */
  settings: ExportSettings | undefined;
  /** What to log once at startup: settings that were ignored, and why. */
  notes: string[];
}

export const DEFAULT_SERVICE_NAME = "amqp-lambda-agent";
const SAMPLERS: readonly SamplerName[] = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
];

const value = (env: TracingEnv, name: string): string | undefined => {
  const raw = env[name]?.trim();
  return raw === undefined || raw === "" ? undefined : raw;
};

/** The traces URL: the signal-specific endpoint as is, else the base endpoint plus `v1/traces`. */
function tracesUrl(env: TracingEnv): string | undefined {
  const specific = value(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  if (specific !== undefined) return specific;
  const base = value(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  if (base === undefined) return undefined;
  return `${base}${base.endsWith("/") ? "" : "/"}v1/traces`;
}

function isHttpUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}

function samplerOf(env: TracingEnv, notes: string[]): { sampler: SamplerName; samplerRatio: number } {
  const name = value(env, "OTEL_TRACES_SAMPLER")?.toLowerCase() ?? "parentbased_always_on";
  const sampler = SAMPLERS.find((known) => known === name);
  if (sampler === undefined)
    notes.push(`OTEL_TRACES_SAMPLER=${name.slice(0, 64)} is not supported: using parentbased_always_on`);
  const arg = value(env, "OTEL_TRACES_SAMPLER_ARG");
  let samplerRatio = 1;
  if (arg !== undefined && name.endsWith("traceidratio")) {
    const ratio = Number(arg);
    if (Number.isFinite(ratio) && ratio >= 0 && ratio <= 1) samplerRatio = ratio;
    else notes.push(`OTEL_TRACES_SAMPLER_ARG=${arg.slice(0, 64)} is not a ratio in [0, 1]: using 1`);
  }
  return { sampler: sampler ?? "parentbased_always_on", samplerRatio };
}

/** Reads the export settings from `env` (the caller passes `process.env`); never throws. */
export function exportSettingsFromEnv(env: TracingEnv): ExportDecision {
  const notes: string[] = [];
  const off = (note?: string): ExportDecision => ({
    settings: undefined,
    notes: note ? [...notes, note] : notes,
  });
  if (value(env, "OTEL_SDK_DISABLED")?.toLowerCase() === "true") return off();
  const exporters = value(env, "OTEL_TRACES_EXPORTER")
    ?.toLowerCase()
    .split(/\s*,\s*/);
  if (exporters?.includes("none")) return off();
  const url = tracesUrl(env);
  if (url === undefined) return off();
  if (exporters !== undefined && !exporters.includes("otlp"))
    return off(
      `OTEL_TRACES_EXPORTER=${exporters.join(",").slice(0, 64)}: only otlp is supported; spans are not exported`,
    );
  if (!isHttpUrl(url)) return off(`the OTLP traces endpoint is not an http(s) URL; spans are not exported`);
  const protocol =
    value(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ??
    value(env, "OTEL_EXPORTER_OTLP_PROTOCOL") ??
    "http/protobuf";
  if (protocol !== "http/protobuf" && protocol !== "http/json")
    return off(
      `OTLP protocol ${protocol.slice(0, 32)} is not supported (use http/protobuf or http/json); spans are not exported`,
    );
  const serviceName = value(env, "OTEL_SERVICE_NAME") ?? DEFAULT_SERVICE_NAME;
  return { settings: { url, protocol, serviceName, ...samplerOf(env, notes) }, notes };
}
