import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { AgentProcess, runCli, writeConfig } from "../helpers/agent-process.js";
import { SuiteBroker } from "../helpers/broker.js";
import { agentConfig } from "../helpers/config.js";
import { startHttpStub } from "../helpers/http-stub.js";
import { LambdaFaultProxy } from "../helpers/lambda-fault-proxy.js";
import { type DecodedSpan, type OtlpStub, startOtlpStub } from "../helpers/otlp-stub.js";
import { LAMBDA_ENDPOINT, PROBE_FUNCTION, type ProbeRecord, probeRecords } from "../helpers/probe.js";
import { waitFor } from "../helpers/wait.js";

/** OTLP's span kinds. */
const CLIENT = 3;
const CONSUMER = 5;
const CLIENT_CONTEXT_LIMIT = 3583;

/** A trace id whose first 8 hex digits are now, as X-Ray writes them (so X-Ray would accept it). */
const traceIdNow = () => Math.floor(Date.now() / 1000).toString(16) + randomBytes(12).toString("hex");
const spanId = () => randomBytes(8).toString("hex");
const traceparentOf = (traceId: string, parent: string) => `00-${traceId}-${parent}-01`;
const parts = (traceparent: string | undefined) => ({
  traceId: traceparent?.slice(3, 35),
  spanId: traceparent?.slice(36, 52),
});

const recordOf = (queue: string, id: number) =>
  waitFor(`the function's record of message ${id}`, () => probeRecords(queue).find((r) => r.id === id));

describe("trace context from the message into the function", () => {
  const suite = new SuiteBroker();
  const proxy = new LambdaFaultProxy(LAMBDA_ENDPOINT);
  before(() => proxy.start());
  after(() => proxy.stop());

  for (const client of ["http", "sdk"] as const) {
    it(`the function continues the message's trace; the Invoke request carries a matching X-Amzn-Trace-Id (client ${client})`, async () => {
      const { exchange, queue } = suite.names(`trace-${client}`);
      const agent = AgentProcess.start(
        agentConfig({ exchange, queue, lambda: { endpoint: proxy.endpoint, client } }),
      );
      await agent.ready();
      const [traceId, publisherSpan] = [traceIdNow(), spanId()];
      const calls = proxy.requestHeaders.length;
      await suite.broker.publish(exchange, "k", [{ id: 1 }], {
        headers: { traceparent: traceparentOf(traceId, publisherSpan), tracestate: "rojo=00f067aa0ba902b7" },
      });
      const record = await recordOf(queue, 1);
      assert.equal(await agent.stop(), 0);
      const sent = parts(record.clientContext?.traceparent);
      assert.equal(sent.traceId, traceId, "the same trace");
      assert.match(sent.spanId ?? "", /^[0-9a-f]{16}$/);
      assert.notEqual(sent.spanId, publisherSpan, "a span id of the agent's, never the publisher's");
      assert.equal(record.clientContext?.tracestate, "rojo=00f067aa0ba902b7");
      const invoke = proxy.requestHeaders.slice(calls).find((headers) => headers["x-amz-client-context"]);
      assert.equal(
        invoke?.["x-amzn-trace-id"],
        `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${sent.spanId};Sampled=1`,
      );
    });
  }

  it("a Lambda backend and an HTTP backend side by side: each gets its own kind of headers, its own parent span", async () => {
    const stub = await startHttpStub();
    try {
      const { exchange, queue } = suite.names("trace-fan-out");
      const config = agentConfig({ exchange, queue, lambda: { endpoint: proxy.endpoint } });
      const [agentEntry] = config.async_agent as Array<{ backend: unknown[] }>;
      agentEntry?.backend.push({ host: [stub.url], url_pattern: "/orders", method: "POST" });
      const agent = AgentProcess.start(config);
      await agent.ready();
      const [traceId, publisherSpan] = [traceIdNow(), spanId()];
      const calls = proxy.requestHeaders.length;
      await suite.broker.publish(exchange, "k", [{ id: 1 }], {
        headers: { traceparent: traceparentOf(traceId, publisherSpan), tracestate: "rojo=1" },
      });
      const record = await recordOf(queue, 1);
      const request = await waitFor("the HTTP backend's request", () => stub.requests[0]);
      assert.equal(await agent.stop(), 0);
      const toLambda = parts(record.clientContext?.traceparent);
      assert.equal(toLambda.traceId, traceId);
      const invoke = proxy.requestHeaders.slice(calls).find((headers) => headers["x-amz-client-context"]);
      assert.match(String(invoke?.["x-amzn-trace-id"]), new RegExp(`^Root=1-${traceId.slice(0, 8)}-`));
      assert.equal(invoke?.traceparent, undefined, "no W3C header on the Invoke request");
      const toHttp = parts(String(request.headers.traceparent));
      assert.equal(toHttp.traceId, traceId);
      assert.equal(request.headers.tracestate, "rojo=1");
      assert.equal(
        request.headers["x-amz-client-context"],
        undefined,
        "no Lambda header to the HTTP backend",
      );
      assert.equal(request.headers["x-amzn-trace-id"], undefined);
      assert.notEqual(toHttp.spanId, publisherSpan);
      assert.notEqual(toHttp.spanId, toLambda.spanId, "a call of its own");
    } finally {
      await stub.close();
    }
  });

  it("tracing.enabled false: nothing is sent", async () => {
    const { exchange, queue } = suite.names("trace-off");
    const config = agentConfig({
      exchange,
      queue,
      lambda: { endpoint: proxy.endpoint },
      options: { tracing: { enabled: false } },
    });
    const agent = AgentProcess.start(config);
    await agent.ready();
    const calls = proxy.requestHeaders.length;
    await suite.broker.publish(exchange, "k", [{ id: 1 }], {
      headers: { traceparent: traceparentOf(traceIdNow(), spanId()) },
    });
    const record = await recordOf(queue, 1);
    assert.equal(await agent.stop(), 0);
    assert.equal(record.clientContext, null);
    const sent = proxy.requestHeaders.slice(calls);
    assert.ok(sent.length > 0);
    for (const headers of sent) assert.equal(headers["x-amzn-trace-id"], undefined);
  });

  it("a 4 KB tracestate still invokes, the client context within Lambda's 3,583 bytes", async () => {
    const { exchange, queue } = suite.names("trace-big-state");
    const agent = AgentProcess.start(agentConfig({ exchange, queue, lambda: { endpoint: proxy.endpoint } }));
    await agent.ready();
    const members = Array.from({ length: 32 }, (_, i) => `vendor${i}=${"v".repeat(120)}`);
    const tracestate = members.join(",");
    assert.ok(tracestate.length > 4000);
    const traceId = traceIdNow();
    const calls = proxy.requestHeaders.length;
    await suite.broker.publish(exchange, "k", [{ id: 1 }], {
      headers: { traceparent: traceparentOf(traceId, spanId()), tracestate },
    });
    const record = await recordOf(queue, 1);
    assert.equal(await agent.stop(), 0);
    assert.equal(parts(record.clientContext?.traceparent).traceId, traceId);
    const forwarded = record.clientContext?.tracestate ?? "";
    assert.ok(forwarded.length > 0 && forwarded.length <= 512, `forwarded ${forwarded.length} characters`);
    assert.ok(tracestate.startsWith(forwarded), "whole members from the front");
    const header = proxy.requestHeaders.slice(calls).find((h) => h["x-amz-client-context"]);
    const length = Buffer.byteLength(String(header?.["x-amz-client-context"]));
    assert.ok(length <= CLIENT_CONTEXT_LIMIT, `X-Amz-Client-Context is ${length} bytes`);
  });
});

describe("spans exported over OTLP/HTTP to a collector", () => {
  const suite = new SuiteBroker();
  let stub: OtlpStub;
  before(async () => {
    stub = await startOtlpStub();
  });
  after(() => stub.close());

  const exportEnv = () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: stub.endpoint, OTEL_SERVICE_NAME: "tracing-test" });
  const consumerSpansOf = (queue: string): DecodedSpan[] =>
    stub.spans.filter((span) => span.kind === CONSUMER && span.name === `process ${queue}`);

  it("a batch of 10 traced messages: one CONSUMER span with their 10 links, one CLIENT span; flushed at shutdown", async () => {
    const { exchange, queue } = suite.names("trace-batch");
    const config = agentConfig({ exchange, queue, lambda: { batch_size: 10, batch_window: "3s" } });
    const agent = AgentProcess.start(config, exportEnv());
    await agent.ready();
    const traceIds = Array.from({ length: 10 }, traceIdNow);
    for (const [id, traceId] of traceIds.entries()) {
      await suite.broker.publish(exchange, "k", [{ id }], {
        headers: { traceparent: traceparentOf(traceId, spanId()) },
      });
    }
    const records = await waitFor("10 records", () => {
      const seen = probeRecords(queue);
      return seen.length >= 10 ? seen : undefined;
    });
    assert.equal(await agent.stop(), 0);
    assert.deepEqual(
      new Set(records.map((r: ProbeRecord) => r.invocation)).size,
      1,
      "one invocation for the 10 messages",
    );
    const consumers = consumerSpansOf(queue);
    assert.equal(consumers.length, 1, `CONSUMER spans: ${consumers.length}`);
    const consumer = consumers[0] as DecodedSpan;
    assert.deepEqual(new Set(consumer.links.map((link) => link.traceId)), new Set(traceIds));
    assert.equal(consumer.links.length, 10);
    assert.ok(!traceIds.includes(consumer.traceId), "a batch has a trace of its own");
    assert.equal(consumer.attributes["messaging.batch.message_count"], 10);
    assert.equal(consumer.resource["service.name"], "tracing-test");
    const clients = stub.spans.filter(
      (span) => span.kind === CLIENT && span.parentSpanId === consumer.spanId,
    );
    assert.equal(clients.length, 1);
    const callSpan = clients[0] as DecodedSpan;
    assert.equal(callSpan.attributes["faas.invoked_name"], PROBE_FUNCTION);
    assert.equal(callSpan.attributes["faas.invoked_provider"], "aws");
    const sent = parts(records[0]?.clientContext?.traceparent);
    assert.deepEqual(
      sent,
      { traceId: consumer.traceId, spanId: callSpan.spanId },
      "the function's parent is the CLIENT span",
    );
  });

  it("a dead letter carries a traceparent in the message's trace (the CONSUMER span's), and redrive keeps it", async () => {
    const { exchange, queue } = suite.names("trace-dlq");
    const config = agentConfig({ exchange, queue, lambda: { max_retries: 0 } });
    const agent = AgentProcess.start(config, exportEnv());
    await agent.ready();
    const [traceId, publisherSpan] = [traceIdNow(), spanId()];
    await suite.broker.publish(exchange, "k", [{ id: 1, fail: "always" }], {
      headers: { traceparent: traceparentOf(traceId, publisherSpan), tracestate: "k1=v1" },
    });
    await waitFor("the dead letter", async () => (await suite.broker.ready(`${queue}.dlq`)) === 1);
    const warning = await agent.waitForLog(/dead-lettered/);
    assert.equal(await agent.stop(), 0);
    assert.equal(warning.traceId, traceId, "the dead-letter line names the trace");

    const consumer = consumerSpansOf(queue).find((span) => span.traceId === traceId);
    assert.ok(consumer, "a CONSUMER span in the message's own trace");
    assert.equal(consumer.parentSpanId, publisherSpan);
    const dead = await suite.broker.channel.get(`${queue}.dlq`, { noAck: false });
    assert.ok(dead);
    const deadTraceparent = dead.properties.headers?.traceparent;
    suite.broker.channel.nack(dead, false, true);
    assert.equal(deadTraceparent, traceparentOf(traceId, consumer.spanId));
    assert.equal(dead.properties.headers?.tracestate, "k1=v1");

    const result = await runCli(["redrive", "--config", writeConfig(config)]);
    assert.equal(result.code, 0, result.stderr);
    const [redriven] = await waitFor("the redriven message", async () => {
      const taken = await suite.broker.drain(queue);
      return taken.length > 0 ? taken : undefined;
    });
    assert.equal(redriven?.properties.headers?.traceparent, deadTraceparent);
    assert.equal(redriven?.properties.headers?.tracestate, "k1=v1");
  });
});
