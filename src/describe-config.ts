import { startupConfigNotes, topologyPlan } from "./amqp/topology.js";
import { describeHttpBackend } from "./backends/http/describe-http-backend.js";
import type { AgentConfig, BackendConfig, LambdaSettings, LoadedConfig } from "./config/types.js";
import { redactUrl } from "./observability/redact.js";

/** The resolved topology and behaviour of every agent, for `validate`, secrets redacted. */
export function describeConfig(config: LoadedConfig): string {
  return config.agents.map(describeAgent).join("\n\n");
}

function describeAgent(agent: AgentConfig): string {
  const { amqp, consumer, delivery, connection } = agent;
  const yesNo = (flag: boolean) => (flag ? "yes" : "no");
  const ms = (value: number) => `${value}ms`;
  const plan = topologyPlan(agent);
  const failure = {
    dead_letter: `publish to dead-letter queue "${amqp.deadLetterQueue}" through "${amqp.agentExchange}" (with error headers), then ack`,
    requeue: `reject with requeue after ${ms(amqp.requeueDelayMs)}`,
    reject: "reject without requeue (the queue's own dead-letter exchange, or dropped)",
  }[amqp.failurePolicy];
  const retries = amqp.retrySteps.map((step) => `${step.queue} (${ms(step.delayMs)})`).join(", ");
  const breaker = amqp.circuitBreaker;
  const lines = [
    `agent "${agent.name}"`,
    ...amqp.urls.map((url, index) => `  ${index === 0 ? "broker     " : "           "} ${redactUrl(url)}`),
    `  declare     ${amqp.declare ? "yes: declares what is below" : "no: checks that what is below exists (declare it first)"}`,
    `  exchange    ${amqp.exchange} (${amqp.exchangeType}, durable ${yesNo(amqp.durable)}, auto-delete ${yesNo(amqp.autoDelete)})`,
    `  queue       ${amqp.queue} (durable ${yesNo(amqp.durable)}, auto-delete ${yesNo(amqp.autoDelete)}, exclusive ${yesNo(amqp.exclusive)}, arguments ${JSON.stringify(amqp.queueArguments)})`,
    ...amqp.bindings.map(
      (b) =>
        `  binding     ${amqp.exchange} --"${b.routingKey}"${Object.keys(b.arguments).length > 0 ? ` ${JSON.stringify(b.arguments)}` : ""}--> ${amqp.queue}`,
    ),
    ...(plan.agentExchange
      ? [
          `  own exchange ${plan.agentExchange} (direct, durable)`,
          ...plan.agentQueues.map(
            (q) =>
              `  own queue   ${q.name} (durable, bound with "${q.routingKey}"${Object.keys(q.arguments).length > 0 ? `, arguments ${JSON.stringify(q.arguments)}` : ""})`,
          ),
        ]
      : []),
    `  qos         ${amqp.prefetchCount > 0 ? `prefetch_count ${amqp.prefetchCount}` : "no basic.qos"}${amqp.autoAck ? `; consumer paused while ${amqp.maxBacklog} messages are held` : ""}`,
    `  consume     auto_ack ${yesNo(amqp.autoAck)}, workers ${consumer.workers}, timeout ${ms(consumer.timeoutMs)}, max_rate ${consumer.maxRate > 0 ? `${consumer.maxRate}/s` : "unlimited"}, drain ${ms(consumer.drainTimeoutMs)}${consumer.orderKey ? `, ordered by ${describeOrderKey(agent)}` : ""}`,
    ...agent.backends.flatMap(describeBackend),
    ...(agent.backends.length > 1
      ? [
          `  backends    ${delivery.sequential ? "in order, stopping at the first failure (proxy.sequential)" : "in parallel"}; a message succeeds when every backend that wants it succeeded; a retry calls only those that failed`,
        ]
      : []),
    ...describeReply(agent),
    `  on failure  ${delivery.maxRetries} retries${retries ? `, then retry queues ${retries}` : ""}, then ${amqp.autoAck && amqp.failurePolicy !== "dead_letter" ? "nothing (auto_ack: the broker already dropped it)" : failure}`,
    `  breaker     ${breaker.enabled ? `opens after ${breaker.failureThreshold} platform failures in a row or function errors on ${breaker.functionErrorRatio * 100}% of ${breaker.functionErrorMinMessages}+ messages in ${ms(breaker.windowMs)}; probes every ${ms(breaker.probeIntervalMs)} up to ${ms(breaker.maxProbeIntervalMs)}` : "off"}`,
    `  reconnect   ${connection.backoffStrategy}, max_retries ${Number.isFinite(connection.maxRetries) ? connection.maxRetries : "unlimited"} (rounds over ${amqp.urls.length} node(s)), health every ${ms(connection.healthIntervalMs)}`,
  ];
  const warning = startupConfigNotes(agent);
  if (warning) lines.push(`  note        ${warning}`);
  return lines.join("\n");
}

function describeBackend(backend: BackendConfig): string[] {
  const ms = (value: number) => `${value}ms`;
  if (backend.kind === "http") {
    const { http } = backend;
    return [
      `  backend     ${describeHttpBackend(http)}`,
      ...(http.filterPatterns
        ? [`  filter      send only messages matching any of ${JSON.stringify(http.filterPatterns)}`]
        : []),
    ];
  }
  const { lambda } = backend;
  return [
    `  function    ${lambda.functionName} (region ${lambda.region ?? "from the SDK chain"}, endpoint ${lambda.endpoint ?? "default"}, client ${lambda.client}, event ${lambda.eventFormat}, batch ${lambda.batchSize} / ${ms(lambda.batchWindowMs)})`,
    ...(lambda.filterPatterns
      ? [`  filter      invoke only messages matching any of ${JSON.stringify(lambda.filterPatterns)}`]
      : []),
    ...describeLargePayload(lambda.largePayload),
  ];
}

function describeLargePayload(large: LambdaSettings["largePayload"]): string[] {
  if (!large) return [];
  const which = large.always
    ? "every body"
    : large.threshold === undefined
      ? "bodies that do not fit one invocation"
      : `bodies over ${large.threshold} bytes`;
  const cleanup =
    large.cleanup === "after_ack" ? "deleted once settled" : "left to the bucket's lifecycle rule";
  return [`  large body  ${which} to s3://${large.bucket}/${large.keyPrefix}… (${cleanup})`];
}

/** Where the function's result goes (`reply`), if anywhere. */
function describeReply(agent: AgentConfig): string[] {
  const { reply } = agent.amqp;
  if (!reply) return [];
  const route =
    reply.mode === "reply_to"
      ? `default exchange "" --<each message's reply_to>--> the requester (none without reply_to; direct reply-to without mandatory; a return drops the reply)`
      : `exchange ${reply.exchange} --"${reply.routingKeyTemplate}"--> its bindings (never declared by the agent; a missing exchange or a return holds the message and retries)`;
  const properties = [
    `persistent ${reply.persistent ? "yes" : "no"}`,
    `content type ${reply.contentType ?? "the backend's"}`,
    ...(Object.keys(reply.headers).length > 0 ? [`headers ${JSON.stringify(reply.headers)}`] : []),
    ...(reply.expirationMs !== undefined ? [`expiration ${reply.expirationMs}ms`] : []),
    ...(agent.backends.length > 1 ? [`from backend ${reply.backend}`] : []),
    ...(reply.onFailure === "error_reply" ? ["an error reply when dead-lettered (best effort)"] : []),
  ];
  return [
    `  reply       ${route}`,
    `              ${properties.join(", ")}; the message is acked after the broker confirms its reply`,
  ];
}

function describeOrderKey(agent: AgentConfig): string {
  const key = agent.consumer.orderKey;
  if (!key) return "";
  if (key.from === "routing_key") return "routing key";
  if (key.from === "header") return `header "${key.name}"`;
  return `body field "${key.path.join(".")}"`;
}
