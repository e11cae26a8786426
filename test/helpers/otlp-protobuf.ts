/**
 * Just enough of the protobuf wire format to read an OTLP `ExportTraceServiceRequest` in tests
 * (opentelemetry-proto `trace/v1/trace.proto`, `common/v1/common.proto`): a generic field reader
 * and the handful of messages the stub looks at.
 */

type Field = { wire: 0; value: bigint } | { wire: 1 | 5; value: Buffer } | { wire: 2; value: Buffer };

function readVarint(buf: Buffer, at: { pos: number }): bigint {
  let result = 0n;
  for (let shift = 0n; ; shift += 7n) {
    const byte = buf[at.pos++];
    if (byte === undefined) throw new Error("truncated varint");
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return result;
  }
}

/** The fields of one message, by number, in order. */
function fieldsOf(buf: Buffer): Map<number, Field[]> {
  const fields = new Map<number, Field[]>();
  const at = { pos: 0 };
  while (at.pos < buf.length) {
    const tag = Number(readVarint(buf, at));
    const number = tag >>> 3;
    const wire = tag & 7;
    let field: Field;
    if (wire === 0) field = { wire, value: readVarint(buf, at) };
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      field = { wire, value: buf.subarray(at.pos, at.pos + size) };
      at.pos += size;
    } else if (wire === 2) {
      const length = Number(readVarint(buf, at));
      field = { wire, value: buf.subarray(at.pos, at.pos + length) };
      at.pos += length;
    } else throw new Error(`unsupported wire type ${wire}`);
    fields.set(number, [...(fields.get(number) ?? []), field]);
  }
  return fields;
}

const bytesOf = (fields: Map<number, Field[]>, n: number): Buffer[] =>
  (fields.get(n) ?? []).filter((f) => f.wire === 2).map((f) => f.value as Buffer);
const one = (fields: Map<number, Field[]>, n: number): Buffer | undefined => bytesOf(fields, n)[0];
const text = (fields: Map<number, Field[]>, n: number): string | undefined =>
  one(fields, n)?.toString("utf8");
const hex = (fields: Map<number, Field[]>, n: number): string | undefined => {
  const value = one(fields, n);
  return value && value.length > 0 ? value.toString("hex") : undefined;
};
const varint = (fields: Map<number, Field[]>, n: number): bigint | undefined => {
  const field = (fields.get(n) ?? []).find((f) => f.wire === 0);
  return field?.value as bigint | undefined;
};

/** An OTLP `AnyValue`: string, bool, int (as a number), double, array. */
function anyValue(buf: Buffer): unknown {
  const fields = fieldsOf(buf);
  if (fields.has(1)) return text(fields, 1);
  if (fields.has(2)) return varint(fields, 2) === 1n;
  if (fields.has(3)) return Number(BigInt.asIntN(64, varint(fields, 3) ?? 0n));
  const double = (fields.get(4) ?? []).find((f) => f.wire === 1);
  if (double) return (double.value as Buffer).readDoubleLE(0);
  if (fields.has(5)) return bytesOf(fieldsOf(one(fields, 5) as Buffer), 1).map(anyValue);
  return undefined;
}

function attributesOf(entries: Buffer[]): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const entry of entries) {
    const fields = fieldsOf(entry);
    const value = one(fields, 2);
    attributes[text(fields, 1) ?? ""] = value ? anyValue(value) : undefined;
  }
  return attributes;
}

export interface DecodedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** OTLP's numbering: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  resource: Record<string, unknown>;
}

/** The spans of an `ExportTraceServiceRequest`. */
export function decodeTraceRequest(body: Buffer): DecodedSpan[] {
  const spans: DecodedSpan[] = [];
  for (const resourceSpans of bytesOf(fieldsOf(body), 1)) {
    const rs = fieldsOf(resourceSpans);
    const resourceBuf = one(rs, 1);
    const resource = resourceBuf ? attributesOf(bytesOf(fieldsOf(resourceBuf), 1)) : {};
    for (const scopeSpans of bytesOf(rs, 2)) {
      for (const spanBuf of bytesOf(fieldsOf(scopeSpans), 2)) {
        const span = fieldsOf(spanBuf);
        const status = one(span, 15);
        spans.push({
          traceId: hex(span, 1) ?? "",
          spanId: hex(span, 2) ?? "",
          parentSpanId: hex(span, 4),
          name: text(span, 5) ?? "",
          kind: Number(varint(span, 6) ?? 0n),
          attributes: attributesOf(bytesOf(span, 9)),
          links: bytesOf(span, 13).map((linkBuf) => {
            const link = fieldsOf(linkBuf);
            return {
              traceId: hex(link, 1) ?? "",
              spanId: hex(link, 2) ?? "",
              attributes: attributesOf(bytesOf(link, 4)),
            };
          }),
          statusCode: status ? Number(varint(fieldsOf(status), 3) ?? 0n) : 0,
          resource,
        });
      }
    }
  }
  return spans;
}
