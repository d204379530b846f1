import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { decodeMetricsRequestProtobuf, decodeTraceRequestJson, decodeTraceRequestProtobuf } from './otlp-decode';

// The decoder is checked against the OTel serializers themselves, so the receiver reads exactly what the exporters write.
function makeSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'decode-test', 'service.version': '1.2.3' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('scope-a', '0.0.1');
  const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER });
  const parentContext = parent.spanContext();
  const child = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.usage.cost': 0.000123,
        'switchyard.cost.nanos_usd': 9_007_199_254_740_991,
        'switchyard.cost.big': '123456789012345678901',
        'gen_ai.response.finish_reasons': ['stop', 'length'],
        'gen_ai.request.stream': false,
        negative: -42,
      },
      links: [{ context: parentContext, attributes: { 'switchyard.request_id': 'r-1' } }],
    },
    trace.setSpan(ROOT_CONTEXT, parent),
  );
  child.addEvent('first_chunk', { at: 1 });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream unavailable' });
  child.end();
  parent.end();
  return exporter.getFinishedSpans();
}

describe('OTLP decoding', () => {
  it('decodes protobuf trace requests exactly as the OTel serializer writes them', () => {
    const finished = makeSpans();
    const spans = decodeTraceRequestProtobuf(ProtobufTraceSerializer.serializeRequest(finished)!);
    expect(spans).toHaveLength(2);
    const parent = spans.find((s) => s.name === 'parent')!;
    const child = spans.find((s) => s.name === 'chat gpt-4o-mini')!;
    expect(parent.kind).toBe('SERVER');
    expect(parent.parentSpanId).toBeUndefined();
    expect(child.kind).toBe('CLIENT');
    expect(child.traceId).toBe(parent.traceId);
    expect(child.parentSpanId).toBe(parent.spanId);
    expect(child.traceId).toBe(finished[0].spanContext().traceId);
    expect(child.attributes).toEqual({
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.cost': 0.000123,
      'switchyard.cost.nanos_usd': 9_007_199_254_740_991,
      'switchyard.cost.big': '123456789012345678901',
      'gen_ai.response.finish_reasons': ['stop', 'length'],
      'gen_ai.request.stream': false,
      negative: -42,
    });
    expect(child.status).toEqual({ code: 'ERROR', message: 'upstream unavailable' });
    expect(child.events).toEqual([{ name: 'first_chunk', attributes: { at: 1 } }]);
    expect(child.links).toEqual([{ traceId: parent.traceId, spanId: parent.spanId, attributes: { 'switchyard.request_id': 'r-1' } }]);
    expect(child.serviceName).toBe('decode-test');
    expect(child.resource['service.version']).toBe('1.2.3');
    expect(child.scope).toEqual({ name: 'scope-a', version: '0.0.1' });
    expect(child.endTimeUnixNano).toBeGreaterThanOrEqual(child.startTimeUnixNano);
  });

  it('decodes OTLP/JSON trace requests to the same shape', () => {
    const finished = makeSpans();
    const fromJson = decodeTraceRequestJson(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(finished)));
    const fromProtobuf = decodeTraceRequestProtobuf(ProtobufTraceSerializer.serializeRequest(finished)!);
    expect(fromJson).toEqual(fromProtobuf);
  });

  it('decodes protobuf metrics: sums, gauges and histograms with their buckets', async () => {
    class CollectingReader extends MetricReader {
      protected async onForceFlush() {
        // collect() is called directly; there is nothing buffered to flush.
      }
      protected async onShutdown() {
        // Nothing to release.
      }
    }
    const reader = new CollectingReader();
    const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'metrics-test' }), readers: [reader] });
    const meter = provider.getMeter('m');
    meter.createCounter('switchyard.cost.nanos_usd').add(1500, { 'switchyard.team': 'a' });
    meter.createGauge('switchyard.circuit.state').record(2, { 'gen_ai.request.model': 'x' });
    meter.createHistogram('gen_ai.client.token.usage', { advice: { explicitBucketBoundaries: [1, 4, 16] } }).record(5, { 'gen_ai.token.type': 'input' });
    const { resourceMetrics } = await reader.collect();
    const decoded = decodeMetricsRequestProtobuf(ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!);
    const byName = Object.fromEntries(decoded.map((m) => [m.name, m]));
    expect(byName['switchyard.cost.nanos_usd']).toMatchObject({ kind: 'sum', points: [{ value: 1500, attributes: { 'switchyard.team': 'a' } }] });
    expect(byName['switchyard.circuit.state']).toMatchObject({ kind: 'gauge', points: [{ value: 2 }] });
    expect(byName['gen_ai.client.token.usage']).toMatchObject({
      kind: 'histogram',
      serviceName: 'metrics-test',
      points: [{ count: 1, sum: 5, explicitBounds: [1, 4, 16], bucketCounts: [0, 0, 1, 0] }],
    });
    await provider.shutdown();
  });
});
