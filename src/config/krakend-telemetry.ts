/** KrakenD's OpenTelemetry block, which the agent accepts in a KrakenD config and ignores. */
export const KRAKEND_TELEMETRY_KEY = "telemetry/opentelemetry";

/** Logged once when a config has the block: where the agent's tracing settings come from instead. */
export const KRAKEND_TELEMETRY_NOTE =
  `"${KRAKEND_TELEMETRY_KEY}" is accepted and ignored: the agent exports traces as the standard ` +
  "OpenTelemetry variables say (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, " +
  "OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTEL_SDK_DISABLED)";
