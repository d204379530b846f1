import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, type Telemetry } from './bootstrap';
import { switchyardTracer } from './spans';

let telemetry: Telemetry;
const exporter = new InMemorySpanExporter();
beforeAll(() => {
  telemetry = startTelemetry({ serviceName: 'rpc-test', env: {}, autoInstrument: false, spanExporter: exporter });
});
afterAll(() => telemetry.shutdown());
beforeEach(() => exporter.reset());

// These spans imitate exactly what instrumentation-grpc 0.223 writes.
describe('StableRpcAttributesSpanProcessor', () => {
  it('adds the stable names to a failed client span and renames it', () => {
    const span = switchyardTracer().startSpan('grpc.switchyard.provider.v1.ProviderService/Generate', { kind: SpanKind.CLIENT });
    span.setAttributes({ 'rpc.system': 'grpc', 'rpc.method': 'Generate', 'rpc.service': 'switchyard.provider.v1.ProviderService', 'rpc.grpc.status_code': 14 });
    span.end();
    const [finished] = exporter.getFinishedSpans();
    expect(finished.name).toBe('switchyard.provider.v1.ProviderService/Generate');
    expect(finished.attributes).toMatchObject({
      'rpc.system.name': 'grpc',
      'rpc.method': 'switchyard.provider.v1.ProviderService/Generate',
      'rpc.status_code': 'UNAVAILABLE',
      'error.type': 'UNAVAILABLE',
    });
  });

  it('keeps a fully qualified method set by the server harness and sets no error.type on OK', () => {
    const span = switchyardTracer().startSpan('grpc.switchyard.router.v1.RouterService/Generate', { kind: SpanKind.SERVER });
    span.setAttributes({ 'rpc.system': 'grpc', 'rpc.service': 'switchyard.router.v1.RouterService', 'rpc.grpc.status_code': 0 });
    span.setAttribute('rpc.method', 'switchyard.router.v1.RouterService/Generate');
    span.end();
    const [finished] = exporter.getFinishedSpans();
    expect(finished.attributes['rpc.method']).toBe('switchyard.router.v1.RouterService/Generate');
    expect(finished.attributes['rpc.status_code']).toBe('OK');
    expect(finished.attributes['error.type']).toBeUndefined();
  });

  it('leaves other spans alone', () => {
    switchyardTracer().startSpan('route.decide').end();
    expect(exporter.getFinishedSpans()[0].attributes).toEqual({});
    expect(exporter.getFinishedSpans()[0].name).toBe('route.decide');
  });
});
