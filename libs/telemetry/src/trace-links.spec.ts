import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, type Telemetry } from './bootstrap';
import { SPAN_USAGE_INGEST } from './gen-ai-attributes';
import { withSpan } from './spans';
import { currentTraceparent, decodeTraceLinks, encodeTraceLinks, linkFromTraceparent, usageIngestLinks } from './trace-links';

let telemetry: Telemetry;
const exporter = new InMemorySpanExporter();
beforeAll(() => {
  telemetry = startTelemetry({ serviceName: 'links-test', env: {}, autoInstrument: false, spanExporter: exporter });
});
afterAll(() => telemetry.shutdown());

describe('links from billing ingest to the requests it records', () => {
  it('links an ingest span to each request by its stored traceparent', () => {
    const requests = ['r-1', 'r-2'].map((requestId) =>
      withSpan('router request', {}, () => ({ requestId, traceparent: currentTraceparent(), team: 'team-a' })),
    );
    expect(requests[0].traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // Later, in billing, outside the requests' traces:
    context.with(trace.deleteSpan(context.active()), () =>
      withSpan(SPAN_USAGE_INGEST, { 'switchyard.usage.records': 3 }, () => undefined, {
        links: usageIngestLinks([...requests, { requestId: 'r-3' }]),
      }),
    );
    const ingest = exporter.getFinishedSpans().find((s) => s.name === SPAN_USAGE_INGEST)!;
    const routed = exporter.getFinishedSpans().filter((s) => s.name === 'router request');
    expect(ingest.links.map((l) => l.context.traceId)).toEqual(routed.map((s) => s.spanContext().traceId));
    expect(ingest.links.map((l) => l.context.spanId)).toEqual(routed.map((s) => s.spanContext().spanId));
    expect(ingest.links[0].attributes).toEqual({ 'switchyard.request_id': 'r-1', 'switchyard.team': 'team-a' });
    expect(ingest.spanContext().traceId).not.toBe(routed[0].spanContext().traceId);
  });

  it('ignores missing and malformed traceparents, and encodes one per record for batch metadata', () => {
    expect(linkFromTraceparent(undefined)).toBeUndefined();
    expect(linkFromTraceparent('00-zz-1-01')).toBeUndefined();
    expect(currentTraceparent()).toBeUndefined();
    const encoded = encodeTraceLinks(['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', undefined]);
    expect(decodeTraceLinks(encoded)).toEqual(['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', undefined]);
    expect(decodeTraceLinks(undefined)).toEqual([]);
  });
});
