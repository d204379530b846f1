// Decoding OTLP export requests (protobuf and JSON) into plain objects for tests. The OTel JS packages
// ship serializers only, and no trace backend installs here, so the test receiver carries its own
// small protobuf wire reader for the few OTLP messages it needs.

/** An attribute value as decoded: ints become numbers when safe, else bigint. */
export type OtlpValue = string | number | bigint | boolean | Uint8Array | OtlpValue[] | { [key: string]: OtlpValue } | undefined;

export type SpanKindName = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
export type StatusCodeName = 'UNSET' | 'OK' | 'ERROR';

/** One span as a receiver saw it. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Absent for a root span. */
  parentSpanId?: string;
  name: string;
  kind: SpanKindName;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, OtlpValue>;
  events: { name: string; attributes: Record<string, OtlpValue> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, OtlpValue> }[];
  status: { code: StatusCodeName; message?: string };
  resource: Record<string, OtlpValue>;
  /** resource service.name. */
  serviceName?: string;
  scope: { name: string; version?: string };
}

/** One metric data point. */
export interface ReceivedDataPoint {
  attributes: Record<string, OtlpValue>;
  /** Gauge and sum points. */
  value?: number;
  /** Histogram points. */
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
}

/** One metric (of one export) as a receiver saw it. */
export interface ReceivedMetric {
  name: string;
  description: string;
  unit: string;
  kind: 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary' | 'unknown';
  points: ReceivedDataPoint[];
  resource: Record<string, OtlpValue>;
  serviceName?: string;
  scope: { name: string; version?: string };
}

const SPAN_KINDS: SpanKindName[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_CODES: StatusCodeName[] = ['UNSET', 'OK', 'ERROR'];

class WireReader {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get done(): boolean {
    return this.pos >= this.bytes.length;
  }
  tag(): { field: number; wire: number } {
    const key = Number(this.varint());
    return { field: key >>> 3, wire: key & 7 };
  }
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.bytes.length) throw new Error('truncated varint');
      const byte = this.bytes[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new Error('varint too long');
  }
  fixed64(): bigint {
    const value = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return value;
  }
  double(): number {
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }
  fixed32(): number {
    const value = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }
  bytesField(): Uint8Array {
    const length = Number(this.varint());
    if (this.pos + length > this.bytes.length) throw new Error('truncated length-delimited field');
    const slice = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return slice;
  }
  string(): string {
    return new TextDecoder().decode(this.bytesField());
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytesField();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  /** Calls `onField` for each field; it returns false for fields it did not consume. */
  each(onField: (field: number, wire: number) => boolean): void {
    while (!this.done) {
      const { field, wire } = this.tag();
      if (!onField(field, wire)) this.skip(wire);
    }
  }
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const int64 = (value: bigint): number | bigint => {
  const signed = BigInt.asIntN(64, value);
  return signed >= BigInt(Number.MIN_SAFE_INTEGER) && signed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(signed) : signed;
};

function decodeAnyValue(bytes: Uint8Array): OtlpValue {
  const r = new WireReader(bytes);
  let value: OtlpValue;
  r.each((field, wire) => {
    if (field === 1 && wire === 2) value = r.string();
    else if (field === 2 && wire === 0) value = r.varint() !== 0n;
    else if (field === 3 && wire === 0) value = int64(r.varint());
    else if (field === 4 && wire === 1) value = r.double();
    else if (field === 5 && wire === 2) value = collectRepeated(r.bytesField(), 1).map(decodeAnyValue);
    else if (field === 6 && wire === 2) value = decodeKeyValues(collectRepeated(r.bytesField(), 1));
    else if (field === 7 && wire === 2) value = r.bytesField();
    else return false;
    return true;
  });
  return value;
}

function collectRepeated(bytes: Uint8Array, wantedField: number): Uint8Array[] {
  const items: Uint8Array[] = [];
  const r = new WireReader(bytes);
  r.each((field, wire) => {
    if (field !== wantedField || wire !== 2) return false;
    items.push(r.bytesField());
    return true;
  });
  return items;
}

function decodeKeyValue(bytes: Uint8Array): [string, OtlpValue] {
  const r = new WireReader(bytes);
  let key = '';
  let value: OtlpValue;
  r.each((field, wire) => {
    if (field === 1 && wire === 2) key = r.string();
    else if (field === 2 && wire === 2) value = decodeAnyValue(r.bytesField());
    else return false;
    return true;
  });
  return [key, value];
}

function decodeKeyValues(list: Uint8Array[]): Record<string, OtlpValue> {
  return Object.fromEntries(list.map(decodeKeyValue));
}

function decodeResource(bytes: Uint8Array): Record<string, OtlpValue> {
  return decodeKeyValues(collectRepeated(bytes, 1));
}

function decodeScope(bytes: Uint8Array): { name: string; version?: string } {
  const r = new WireReader(bytes);
  const scope: { name: string; version?: string } = { name: '' };
  r.each((field, wire) => {
    if (field === 1 && wire === 2) scope.name = r.string();
    else if (field === 2 && wire === 2) scope.version = r.string();
    else return false;
    return true;
  });
  return scope;
}

function decodeSpan(bytes: Uint8Array, resource: Record<string, OtlpValue>, scope: { name: string; version?: string }): ReceivedSpan {
  const r = new WireReader(bytes);
  const attributes: Uint8Array[] = [];
  const span: ReceivedSpan = {
    traceId: '',
    spanId: '',
    name: '',
    kind: 'UNSPECIFIED',
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    events: [],
    links: [],
    status: { code: 'UNSET' },
    resource,
    serviceName: typeof resource['service.name'] === 'string' ? resource['service.name'] : undefined,
    scope,
  };
  r.each((field, wire) => {
    if (field === 1 && wire === 2) span.traceId = hex(r.bytesField());
    else if (field === 2 && wire === 2) span.spanId = hex(r.bytesField());
    else if (field === 4 && wire === 2) {
      const parent = r.bytesField();
      if (parent.length > 0) span.parentSpanId = hex(parent);
    } else if (field === 5 && wire === 2) span.name = r.string();
    else if (field === 6 && wire === 0) span.kind = SPAN_KINDS[Number(r.varint())] ?? 'UNSPECIFIED';
    else if (field === 7 && wire === 1) span.startTimeUnixNano = r.fixed64();
    else if (field === 8 && wire === 1) span.endTimeUnixNano = r.fixed64();
    else if (field === 9 && wire === 2) attributes.push(r.bytesField());
    else if (field === 11 && wire === 2) span.events.push(decodeEvent(r.bytesField()));
    else if (field === 13 && wire === 2) span.links.push(decodeLink(r.bytesField()));
    else if (field === 15 && wire === 2) span.status = decodeStatus(r.bytesField());
    else return false;
    return true;
  });
  span.attributes = decodeKeyValues(attributes);
  return span;
}

function decodeEvent(bytes: Uint8Array): { name: string; attributes: Record<string, OtlpValue> } {
  const r = new WireReader(bytes);
  let name = '';
  const attributes: Uint8Array[] = [];
  r.each((field, wire) => {
    if (field === 2 && wire === 2) name = r.string();
    else if (field === 3 && wire === 2) attributes.push(r.bytesField());
    else return false;
    return true;
  });
  return { name, attributes: decodeKeyValues(attributes) };
}

function decodeLink(bytes: Uint8Array): { traceId: string; spanId: string; attributes: Record<string, OtlpValue> } {
  const r = new WireReader(bytes);
  const link = { traceId: '', spanId: '', attributes: {} as Record<string, OtlpValue> };
  const attributes: Uint8Array[] = [];
  r.each((field, wire) => {
    if (field === 1 && wire === 2) link.traceId = hex(r.bytesField());
    else if (field === 2 && wire === 2) link.spanId = hex(r.bytesField());
    else if (field === 4 && wire === 2) attributes.push(r.bytesField());
    else return false;
    return true;
  });
  link.attributes = decodeKeyValues(attributes);
  return link;
}

function decodeStatus(bytes: Uint8Array): { code: StatusCodeName; message?: string } {
  const r = new WireReader(bytes);
  const status: { code: StatusCodeName; message?: string } = { code: 'UNSET' };
  r.each((field, wire) => {
    if (field === 2 && wire === 2) status.message = r.string();
    else if (field === 3 && wire === 0) status.code = STATUS_CODES[Number(r.varint())] ?? 'UNSET';
    else return false;
    return true;
  });
  return status;
}

/** Decodes a protobuf ExportTraceServiceRequest into spans. */
export function decodeTraceRequestProtobuf(bytes: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of collectRepeated(bytes, 1)) {
    let resource: Record<string, OtlpValue> = {};
    const scopeSpansList: Uint8Array[] = [];
    const r = new WireReader(resourceSpans);
    r.each((field, wire) => {
      if (field === 1 && wire === 2) resource = decodeResource(r.bytesField());
      else if (field === 2 && wire === 2) scopeSpansList.push(r.bytesField());
      else return false;
      return true;
    });
    for (const scopeSpans of scopeSpansList) {
      let scope = { name: '' } as { name: string; version?: string };
      const spanBytes: Uint8Array[] = [];
      const s = new WireReader(scopeSpans);
      s.each((field, wire) => {
        if (field === 1 && wire === 2) scope = decodeScope(s.bytesField());
        else if (field === 2 && wire === 2) spanBytes.push(s.bytesField());
        else return false;
        return true;
      });
      for (const span of spanBytes) spans.push(decodeSpan(span, resource, scope));
    }
  }
  return spans;
}

function decodeNumberPoint(bytes: Uint8Array): ReceivedDataPoint {
  const r = new WireReader(bytes);
  const attributes: Uint8Array[] = [];
  const point: ReceivedDataPoint = { attributes: {} };
  r.each((field, wire) => {
    if (field === 7 && wire === 2) attributes.push(r.bytesField());
    else if (field === 4 && wire === 1) point.value = r.double();
    else if (field === 6 && wire === 1) point.value = Number(BigInt.asIntN(64, r.fixed64()));
    else return false;
    return true;
  });
  point.attributes = decodeKeyValues(attributes);
  return point;
}

function decodeHistogramPoint(bytes: Uint8Array): ReceivedDataPoint {
  const r = new WireReader(bytes);
  const attributes: Uint8Array[] = [];
  const bucketCounts: number[] = [];
  const explicitBounds: number[] = [];
  const point: ReceivedDataPoint = { attributes: {}, bucketCounts, explicitBounds };
  r.each((field, wire) => {
    if (field === 9 && wire === 2) attributes.push(r.bytesField());
    else if (field === 4 && wire === 1) point.count = Number(r.fixed64());
    else if (field === 5 && wire === 1) point.sum = r.double();
    else if (field === 6 && wire === 2) {
      const packed = new WireReader(r.bytesField());
      while (!packed.done) bucketCounts.push(Number(packed.fixed64()));
    } else if (field === 6 && wire === 1) bucketCounts.push(Number(r.fixed64()));
    else if (field === 7 && wire === 2) {
      const packed = new WireReader(r.bytesField());
      while (!packed.done) explicitBounds.push(packed.double());
    } else if (field === 7 && wire === 1) explicitBounds.push(r.double());
    else return false;
    return true;
  });
  point.attributes = decodeKeyValues(attributes);
  return point;
}

function decodeMetric(bytes: Uint8Array, resource: Record<string, OtlpValue>, scope: { name: string; version?: string }): ReceivedMetric {
  const r = new WireReader(bytes);
  const metric: ReceivedMetric = {
    name: '',
    description: '',
    unit: '',
    kind: 'unknown',
    points: [],
    resource,
    serviceName: typeof resource['service.name'] === 'string' ? resource['service.name'] : undefined,
    scope,
  };
  r.each((field, wire) => {
    if (field === 1 && wire === 2) metric.name = r.string();
    else if (field === 2 && wire === 2) metric.description = r.string();
    else if (field === 3 && wire === 2) metric.unit = r.string();
    else if ((field === 5 || field === 7) && wire === 2) {
      metric.kind = field === 5 ? 'gauge' : 'sum';
      metric.points.push(...collectRepeated(r.bytesField(), 1).map(decodeNumberPoint));
    } else if (field === 9 && wire === 2) {
      metric.kind = 'histogram';
      metric.points.push(...collectRepeated(r.bytesField(), 1).map(decodeHistogramPoint));
    } else if (field === 10 && wire === 2) {
      metric.kind = 'exponential_histogram';
      r.bytesField();
    } else if (field === 11 && wire === 2) {
      metric.kind = 'summary';
      r.bytesField();
    } else return false;
    return true;
  });
  return metric;
}

/** Decodes a protobuf ExportMetricsServiceRequest into metrics. */
export function decodeMetricsRequestProtobuf(bytes: Uint8Array): ReceivedMetric[] {
  const result: ReceivedMetric[] = [];
  for (const resourceMetrics of collectRepeated(bytes, 1)) {
    let resource: Record<string, OtlpValue> = {};
    const scopeList: Uint8Array[] = [];
    const r = new WireReader(resourceMetrics);
    r.each((field, wire) => {
      if (field === 1 && wire === 2) resource = decodeResource(r.bytesField());
      else if (field === 2 && wire === 2) scopeList.push(r.bytesField());
      else return false;
      return true;
    });
    for (const scopeMetrics of scopeList) {
      let scope = { name: '' } as { name: string; version?: string };
      const metricBytes: Uint8Array[] = [];
      const s = new WireReader(scopeMetrics);
      s.each((field, wire) => {
        if (field === 1 && wire === 2) scope = decodeScope(s.bytesField());
        else if (field === 2 && wire === 2) metricBytes.push(s.bytesField());
        else return false;
        return true;
      });
      for (const metric of metricBytes) result.push(decodeMetric(metric, resource, scope));
    }
  }
  return result;
}

// ---- OTLP/JSON (http/json): ids are hex, int64 values may be strings ----

interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
  kvlistValue?: { values?: JsonKeyValue[] };
  bytesValue?: string;
}
interface JsonKeyValue {
  key: string;
  value?: JsonAnyValue;
}

function jsonValue(value: JsonAnyValue | undefined): OtlpValue {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return int64(BigInt(value.intValue));
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(jsonValue);
  if (value.kvlistValue) return jsonAttributes(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return new Uint8Array(Buffer.from(value.bytesValue, 'base64'));
  return undefined;
}

function jsonAttributes(list: JsonKeyValue[] | undefined): Record<string, OtlpValue> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, jsonValue(kv.value)]));
}

/** Decodes an OTLP/JSON ExportTraceServiceRequest into spans. */
export function decodeTraceRequestJson(text: string): ReceivedSpan[] {
  type JsonSpan = {
    traceId: string;
    spanId: string;
    parentSpanId?: string;
    name: string;
    kind?: number;
    startTimeUnixNano?: string | number;
    endTimeUnixNano?: string | number;
    attributes?: JsonKeyValue[];
    events?: { name: string; attributes?: JsonKeyValue[] }[];
    links?: { traceId: string; spanId: string; attributes?: JsonKeyValue[] }[];
    status?: { code?: number; message?: string };
  };
  const body = JSON.parse(text) as {
    resourceSpans?: { resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: { scope?: { name?: string; version?: string }; spans?: JsonSpan[] }[] }[];
  };
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of body.resourceSpans ?? []) {
    const resource = jsonAttributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      const scope = { name: scopeSpans.scope?.name ?? '', version: scopeSpans.scope?.version };
      for (const s of scopeSpans.spans ?? []) {
        spans.push({
          traceId: s.traceId.toLowerCase(),
          spanId: s.spanId.toLowerCase(),
          parentSpanId: s.parentSpanId ? s.parentSpanId.toLowerCase() : undefined,
          name: s.name,
          kind: SPAN_KINDS[s.kind ?? 0] ?? 'UNSPECIFIED',
          startTimeUnixNano: BigInt(s.startTimeUnixNano ?? 0),
          endTimeUnixNano: BigInt(s.endTimeUnixNano ?? 0),
          attributes: jsonAttributes(s.attributes),
          events: (s.events ?? []).map((e) => ({ name: e.name, attributes: jsonAttributes(e.attributes) })),
          links: (s.links ?? []).map((l) => ({ traceId: l.traceId.toLowerCase(), spanId: l.spanId.toLowerCase(), attributes: jsonAttributes(l.attributes) })),
          status: { code: STATUS_CODES[s.status?.code ?? 0] ?? 'UNSET', message: s.status?.message || undefined },
          resource,
          serviceName: typeof resource['service.name'] === 'string' ? resource['service.name'] : undefined,
          scope,
        });
      }
    }
  }
  return spans;
}
