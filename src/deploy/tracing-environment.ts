/**
 * The OpenTelemetry variables a deploy passes to the poller (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`…): what turns span export on, besides the agent's own
 * `amqp_lambda_agent.tracing` settings.
 *
 * @module
 */

/** `OTEL_` and upper-case letters, digits and `_`, as the OpenTelemetry specification names them. */
export const OTEL_VARIABLE_NAME = /^OTEL_[A-Z0-9_]+$/;

/**
 * The name of the first variable that is not an OpenTelemetry one, with why, or `undefined` when
 * every name is one: `at` is where the variables are written (the message starts with it).
 */
export function tracingEnvironmentProblem(names: readonly string[], at: string): string | undefined {
  const wrong = names.find((name) => !OTEL_VARIABLE_NAME.test(name));
  return wrong === undefined
    ? undefined
    : `${at}.${JSON.stringify(wrong)}: expected an OpenTelemetry variable (OTEL_ and upper-case letters, digits or _, e.g. OTEL_EXPORTER_OTLP_ENDPOINT); put other variables in the container's environment`;
}
