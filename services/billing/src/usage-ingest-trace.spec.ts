import { Metadata } from '@grpc/grpc-js';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { encodeTraceLinks, startTelemetry, TRACE_LINKS_METADATA_KEY, type Telemetry } from '@switchyard/telemetry';
import { INGEST_LINKS_PER_SPAN, recordedRequests, withUsageIngestSpans } from './usage-ingest-trace';
import { usageRecord } from './testing/usage-records';

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;

beforeAll(() => {
  telemetry = startTelemetry({ serviceName: 'usage-ingest-test', env: {}, autoInstrument: false, spanExporter: exporter });
});
afterAll(() => telemetry.shutdown());
beforeEach(() => exporter.reset());

const traceparent = (n: number) => `00-${n.toString(16).padStart(32, '0')}-${(n + 1).toString(16).padStart(16, '0')}-01`;

describe('recordedRequests', () => {
  it('pairs each record with its traceparent from the trace-links metadata, in order', () => {
    const records = ['a', 'b', 'c'].map((id) => usageRecord({ requestId: id, time: new Date(), teamId: 'alpha' }));
    const metadata = new Metadata();
    metadata.set(TRACE_LINKS_METADATA_KEY, encodeTraceLinks([traceparent(1), undefined, traceparent(3), traceparent(4)]));
    expect(recordedRequests(records, { metadata })).toEqual([
      { requestId: 'a', team: 'alpha', traceparent: traceparent(1) },
      { requestId: 'b', team: 'alpha', traceparent: undefined },
      { requestId: 'c', team: 'alpha', traceparent: traceparent(3) },
    ]);
    expect(recordedRequests(records, { metadata: new Metadata() }).map((r) => r.traceparent)).toEqual([undefined, undefined, undefined]);
  });
});

describe('withUsageIngestSpans', () => {
  it(`links ${INGEST_LINKS_PER_SPAN} rows per usage.ingest span, all covering the one write`, async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({ requestId: `r${i}`, team: 'alpha', traceparent: i % 10 === 9 ? undefined : traceparent(i + 1) }));
    let active: string | undefined;
    const result = await withUsageIngestSpans(rows, async () => {
      active = trace.getActiveSpan()?.spanContext().spanId;
      return 'written';
    });
    expect(result).toBe('written');
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['usage.ingest', 'usage.ingest', 'usage.ingest']);
    expect(spans.map((s) => s.attributes['switchyard.usage.records'])).toEqual([128, 128, 44]);
    expect(spans.map((s) => s.links.length)).toEqual([128 - 12, 128 - 13, 44 - 5]);
    expect(spans[0].links[0]).toMatchObject({
      context: { traceId: traceparent(1).split('-')[1], spanId: traceparent(1).split('-')[2] },
      attributes: { 'switchyard.request_id': 'r0', 'switchyard.team': 'alpha' },
    });
    expect(active).toBe(spans[0].spanContext().spanId);
  });

  it('makes one span for an empty batch and marks every span failed when the write fails', async () => {
    await withUsageIngestSpans([], async () => undefined);
    expect(exporter.getFinishedSpans().map((s) => s.attributes['switchyard.usage.records'])).toEqual([0]);
    exporter.reset();

    const rows = Array.from({ length: 130 }, (_, i) => ({ requestId: `r${i}`, traceparent: traceparent(i + 1) }));
    const failure = Object.assign(new Error('connection terminated'), { name: 'DatabaseError' });
    await expect(withUsageIngestSpans(rows, () => Promise.reject(failure))).rejects.toBe(failure);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.links.length, s.status.code, s.attributes['error.type']])).toEqual([
      [128, SpanStatusCode.ERROR, 'DatabaseError'],
      [2, SpanStatusCode.ERROR, 'DatabaseError'],
    ]);
  });
});
