import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { withTrustedBaggage } from './attribution';
import { startTelemetry, type Telemetry } from './bootstrap';
import { startHttpClientSpan } from './http-client-span';
import { withSpan } from './spans';

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;

beforeAll(() => {
  telemetry = startTelemetry({ serviceName: 'http-span-test', env: {}, autoInstrument: false, spanExporter: exporter });
});
afterAll(() => telemetry.shutdown());
beforeEach(() => exporter.reset());

const only = () => {
  const spans = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
  expect(spans).toHaveLength(1);
  return spans[0];
};

describe('startHttpClientSpan', () => {
  it('is a CLIENT child of the active span with the stable HTTP attributes, and injects its own traceparent but no baggage', () => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    withSpan('chat gpt-4o-mini', {}, () =>
      withTrustedBaggage({ team: 'team-a', project: 'search' }, () => {
        const span = startHttpClientSpan('POST', new URL('https://api.example.com/v1/chat/completions?key=secret'));
        span.inject(headers);
        span.setResponseStatus(200);
        span.end();
      }),
    );
    const parent = exporter.getFinishedSpans().find((s) => s.name === 'chat gpt-4o-mini');
    const http = only();
    expect(http.name).toBe('POST');
    expect(http.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
    expect(http.attributes).toMatchObject({
      'http.request.method': 'POST',
      'server.address': 'api.example.com',
      'server.port': 443,
      'url.full': 'https://api.example.com/v1/chat/completions',
      'http.response.status_code': 200,
      'switchyard.team': 'team-a',
    });
    expect(http.attributes['error.type']).toBeUndefined();
    expect(http.status.code).toBe(SpanStatusCode.UNSET);
    expect(headers.traceparent).toBe(`00-${http.spanContext().traceId}-${http.spanContext().spanId}-01`);
    expect(headers.baggage).toBeUndefined();
  });

  it('marks a status of 400 or more failed with the status code as error.type', () => {
    const span = startHttpClientSpan('POST', new URL('http://127.0.0.1:8080/v1/messages'));
    span.setResponseStatus(503);
    span.end();
    expect(only()).toMatchObject({ status: { code: SpanStatusCode.ERROR }, attributes: { 'server.port': 8080, 'http.response.status_code': 503, 'error.type': '503' } });
  });

  it('ends once, failed with the socket error code when the request broke', () => {
    const span = startHttpClientSpan('GET', new URL('http://upstream.internal/v1/models'));
    span.end(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    span.end();
    const http = only();
    expect(http).toMatchObject({ name: 'GET', status: { code: SpanStatusCode.ERROR }, attributes: { 'server.port': 80, 'error.type': 'ECONNRESET' } });
    expect(http.events.map((e) => e.name)).toEqual(['exception']);
  });
});
