import type { TracingConfig } from "./config/types.js";
import { redactUrl } from "./observability/redact.js";
import { exportSettingsFromEnv, KRAKEND_TELEMETRY_NOTE, type TracingEnv } from "./tracing/index.js";

/**
 * The process's tracing, for `validate`: `amqp_lambda_agent.tracing` and what the OTEL_* variables of
 * `env` make of span export (the endpoint's password masked; `OTEL_EXPORTER_OTLP_HEADERS` never shown).
 */
export function describeTracing(tracing: TracingConfig, env: TracingEnv): string {
  const { settings, notes } = exportSettingsFromEnv(env);
  const lines = [
    tracing.enabled
      ? `tracing       on: W3C trace context carried into the backends and onto the copies (parent ${tracing.parent}, settle spans ${tracing.settleSpans ? "yes" : "no"})`
      : "tracing       off (amqp_lambda_agent.tracing.enabled: false): no trace header read or written, OTEL_* variables ignored",
  ];
  if (tracing.enabled) {
    lines.push(
      settings === undefined
        ? "  export      none: spans are not recorded (set OTEL_EXPORTER_OTLP_ENDPOINT to export them)"
        : `  export      OTLP ${settings.protocol} to ${redactUrl(settings.url)} as service "${settings.serviceName}", sampler ${settings.sampler}${settings.sampler.endsWith("traceidratio") ? ` ${settings.samplerRatio}` : ""}`,
    );
    for (const note of notes) lines.push(`  note        ${note}`);
  }
  if (tracing.krakendTelemetry) lines.push(`  note        ${KRAKEND_TELEMETRY_NOTE}`);
  return lines.join("\n");
}
