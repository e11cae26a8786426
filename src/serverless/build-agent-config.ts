import { agentName, collectAmqpEvents } from "./collect-events.js";
import { RESERVED_KEYS, splitEventFields } from "./event-fields.js";
import { consumerTimeout } from "./function-timeout.js";
import { httpBackendEntry } from "./http-target.js";
import { agentTracingOptions, type PluginOptions } from "./plugin-options.js";
import type { AmqpEvent, ServerlessLike } from "./serverless-types.js";

/** Where the generated config runs. */
export interface Target {
  /** The Lambda Invoke API (serverless-offline's); default: AWS (or the event's own `endpoint`). */
  endpoint?: string;
  /** Replaces every event's broker URL, e.g. `{{ env "AMQP_URL" }}` in the container. */
  host?: string;
  /** `amqp_lambda_agent.http.address`; the health/metrics server is off when absent. */
  httpAddress?: string;
  /** `amqp_lambda_agent.emf` (CloudWatch Embedded Metric Format), when the target sets it. */
  emf?: Record<string, unknown>;
}

export interface AgentFile {
  async_agent: Array<Record<string, unknown>>;
  amqp_lambda_agent: Record<string, unknown>;
}

export interface GeneratedConfig {
  events: AmqpEvent[];
  file: AgentFile;
}

/** Builds the agent config file (`{"async_agent": [...]}`) for every `amqp` event of the service. */
export function buildAgentConfig(
  serverless: ServerlessLike,
  options: PluginOptions,
  target: Target,
): GeneratedConfig {
  const events = collectAmqpEvents(serverless);
  const region = serverless.getProvider?.("aws").getRegion?.() ?? serverless.service.provider.region;
  const agents = events.map((event) => {
    for (const key of Object.keys(event.fields)) {
      if (RESERVED_KEYS.has(key)) {
        throw new Error(`${event.path}.${key}: set by the plugin from the function; remove it`);
      }
    }
    const { http, ...fields } = event.fields;
    const sections = splitEventFields(fields);
    const host = target.host ?? sections.amqp.host ?? options.host;
    if (http !== undefined) {
      const [field] = Object.keys(sections.lambda);
      if (field)
        throw new Error(`${event.path}.${field}: a Lambda field; with an http target, set it under http`);
    }
    const lambda: Record<string, unknown> = {
      function_name: serverless.service.getFunction(event.functionKey).name ?? event.functionKey,
      ...(region ? { region } : {}),
      ...sections.lambda,
      ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    };
    return {
      name: agentName(event, events),
      connection: sections.connection,
      // Unless the event says otherwise, an invocation may take as long as the function may run.
      consumer:
        sections.consumer.timeout === undefined
          ? { ...sections.consumer, timeout: consumerTimeout(serverless, event.functionKey) }
          : sections.consumer,
      backend: [
        http === undefined
          ? { extra_config: { "backend/lambda": lambda } }
          : httpBackendEntry(http, event.path),
      ],
      extra_config: { "async/amqp": { ...sections.amqp, ...(host === undefined ? {} : { host }) } },
    };
  });
  const agentOptions: Record<string, unknown> = {
    http: target.httpAddress ? { enabled: true, address: target.httpAddress } : { enabled: false },
  };
  if (options.logLevel) agentOptions.log_level = options.logLevel;
  if (options.summaryInterval) agentOptions.summary_interval = options.summaryInterval;
  if (target.emf) agentOptions.emf = target.emf;
  const tracing = agentTracingOptions(options.tracing);
  if (tracing) agentOptions.tracing = tracing;
  return { events, file: { async_agent: agents, amqp_lambda_agent: agentOptions } };
}
