/**
 * A local OTLP/HTTP trace collector for tests: a `node:http` server on 127.0.0.1, port 0, that
 * accepts `POST …/v1/traces` in `http/json` and `http/protobuf` and keeps the spans, decoded into
 * one shape whatever the encoding.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type DecodedSpan, decodeTraceRequest } from "./otlp-protobuf.js";

export type { DecodedSpan } from "./otlp-protobuf.js";

export interface OtlpStub {
  /** `http://127.0.0.1:<port>` (OTEL_EXPORTER_OTLP_ENDPOINT). */
  endpoint: string;
  spans: DecodedSpan[];
  /** Each export request: its path and content type. */
  requests: { path: string; contentType: string }[];
  close(): Promise<void>;
}

interface JsonKeyValue {
  key: string;
  value: Record<string, unknown>;
}

/** An OTLP/JSON `AnyValue` as the protobuf decoder gives it (ints as numbers). */
function jsonValue(value: Record<string, unknown>): unknown {
  if ("stringValue" in value) return value.stringValue;
  if ("boolValue" in value) return value.boolValue;
  if ("intValue" in value) return Number(value.intValue);
  if ("doubleValue" in value) return value.doubleValue;
  if ("arrayValue" in value)
    return ((value.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map(jsonValue);
  return undefined;
}

const jsonAttributes = (list: JsonKeyValue[] | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, jsonValue(value)]));

// biome-ignore lint/suspicious/noExplicitAny: the OTLP/JSON request, read field by field below
function decodeJsonRequest(body: any): DecodedSpan[] {
  const spans: DecodedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ? span.parentSpanId : undefined,
          name: span.name,
          kind: Number(span.kind),
          attributes: jsonAttributes(span.attributes),
          // biome-ignore lint/suspicious/noExplicitAny: as above
          links: (span.links ?? []).map((link: any) => ({
            traceId: link.traceId,
            spanId: link.spanId,
            attributes: jsonAttributes(link.attributes),
          })),
          statusCode: Number(span.status?.code ?? 0),
          resource,
        });
      }
    }
  }
  return spans;
}

export async function startOtlpStub(): Promise<OtlpStub> {
  const spans: DecodedSpan[] = [];
  const requests: OtlpStub["requests"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const contentType = req.headers["content-type"] ?? "";
      const path = req.url ?? "";
      requests.push({ path, contentType });
      const body = Buffer.concat(chunks);
      if (req.method !== "POST" || !path.endsWith("/v1/traces")) {
        res.writeHead(404).end();
        return;
      }
      if (contentType.startsWith("application/json")) {
        spans.push(...decodeJsonRequest(JSON.parse(body.toString("utf8"))));
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } else if (contentType.startsWith("application/x-protobuf")) {
        spans.push(...decodeTraceRequest(body));
        res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      } else res.writeHead(415).end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    requests,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
