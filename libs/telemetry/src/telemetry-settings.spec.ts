import { parseResourceAttributes, resolveTelemetrySettings } from './telemetry-settings';

const resolve = (env: Record<string, string>, extra: { prometheusPort?: number; captureContent?: boolean } = {}) =>
  resolveTelemetrySettings({ serviceName: 'router', serviceVersion: '0.1.0', env, ...extra });

describe('resolveTelemetrySettings', () => {
  it('exports nothing when no collector is configured', () => {
    const s = resolve({});
    expect(s.disabled).toBe(false);
    expect(s.traces).toEqual({ otlp: undefined, console: false, batchDelayMs: undefined });
    expect(s.metrics.otlp).toBeUndefined();
    expect(s.metrics.prometheus).toBeUndefined();
    expect(s.sampler).toEqual({ kind: 'parentbased_always_on', ratio: 1 });
    expect(s.captureContent).toBe(false);
    expect(s.warnings).toEqual([]);
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'http/protobuf', 'http://collector:4318/v1/traces', 'http://collector:4318/v1/metrics'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, 'http/protobuf', 'http://collector:4318/v1/traces', 'http://collector:4318/v1/metrics'],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      'http/json',
      'http://collector:4318/v1/traces',
      'http://collector:4318/v1/metrics',
    ],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'grpc', 'http://collector:4317', 'http://collector:4317'],
    [
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' },
      'http/protobuf',
      'http://traces:9999/custom',
      'http://collector:4318/v1/metrics',
    ],
  ])('OTLP endpoint %j → %s %s', (env, protocol, tracesUrl, metricsUrl) => {
    const s = resolve(env);
    expect(s.traces.otlp).toEqual({ protocol, url: tracesUrl });
    expect(s.metrics.otlp).toEqual({ protocol, url: metricsUrl });
  });

  it('a signal-specific endpoint alone turns on only that signal', () => {
    const s = resolve({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:4318/v1/traces' });
    expect(s.traces.otlp?.url).toBe('http://t:4318/v1/traces');
    expect(s.metrics.otlp).toBeUndefined();
  });

  it('honours OTEL_TRACES_EXPORTER: none wins over an endpoint, console without one, otlp uses the default endpoint', () => {
    expect(resolve({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).traces.otlp).toBeUndefined();
    expect(resolve({ OTEL_TRACES_EXPORTER: 'console' }).traces).toMatchObject({ otlp: undefined, console: true });
    expect(resolve({ OTEL_TRACES_EXPORTER: 'otlp' }).traces.otlp).toEqual({ protocol: 'http/protobuf', url: 'http://localhost:4318/v1/traces' });
    expect(resolve({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).traces.otlp?.url).toBe('http://localhost:4317');
    expect(resolve({ OTEL_TRACES_EXPORTER: 'zipkin' }).warnings).toEqual([expect.stringContaining('zipkin')]);
  });

  it('serves Prometheus when asked by OTEL_METRICS_EXPORTER or by the service, env port and host winning', () => {
    expect(resolve({ OTEL_METRICS_EXPORTER: 'prometheus' }).metrics.prometheus).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(resolve({}, { prometheusPort: 0 }).metrics.prometheus).toEqual({ host: '0.0.0.0', port: 0 });
    expect(
      resolve({ OTEL_EXPORTER_PROMETHEUS_PORT: '9555', OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1' }, { prometheusPort: 0 }).metrics.prometheus,
    ).toEqual({ host: '127.0.0.1', port: 9555 });
    const both = resolve({ OTEL_METRICS_EXPORTER: 'prometheus,otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' });
    expect(both.metrics.prometheus).toBeDefined();
    expect(both.metrics.otlp?.url).toBe('http://c:4318/v1/metrics');
  });

  it('takes the service name from OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then the service', () => {
    expect(resolve({}).serviceName).toBe('router');
    expect(resolve({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' }).serviceName).toBe('from-attrs');
    expect(resolve({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs', OTEL_SERVICE_NAME: 'from-env' }).serviceName).toBe('from-env');
    const s = resolve({ OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,service.version=9.9.9,k8s.pod.name=router-7f' });
    expect(s.resourceAttributes).toEqual({ 'deployment.environment.name': 'prod', 'k8s.pod.name': 'router-7f' });
    expect(s.serviceVersion).toBe('9.9.9');
  });

  it.each([
    ['always_off', undefined, { kind: 'always_off', ratio: 1 }],
    ['traceidratio', '0.25', { kind: 'traceidratio', ratio: 0.25 }],
    ['parentbased_traceidratio', '0.1', { kind: 'parentbased_traceidratio', ratio: 0.1 }],
    ['parentbased_traceidratio', '7', { kind: 'parentbased_traceidratio', ratio: 1 }],
    ['jaeger_remote', undefined, { kind: 'parentbased_always_on', ratio: 1 }],
  ])('OTEL_TRACES_SAMPLER=%s (arg %s)', (sampler, arg, expected) => {
    const env: Record<string, string> = { OTEL_TRACES_SAMPLER: sampler };
    if (arg) env.OTEL_TRACES_SAMPLER_ARG = arg;
    expect(resolve(env).sampler).toEqual(expected);
  });

  it('reads OTEL_SDK_DISABLED, content capture, the batch delay and the metric interval', () => {
    expect(resolve({ OTEL_SDK_DISABLED: 'TRUE' }).disabled).toBe(true);
    expect(resolve({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' }).captureContent).toBe(true);
    expect(resolve({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' }, { captureContent: false }).captureContent).toBe(false);
    expect(resolve({ OTEL_BSP_SCHEDULE_DELAY: '50' }).traces.batchDelayMs).toBe(50);
    expect(resolve({ OTEL_METRIC_EXPORT_INTERVAL: '1000' }).metrics.exportIntervalMs).toBe(1000);
    expect(resolve({ OTEL_METRIC_EXPORT_INTERVAL: 'soon' }).warnings).toEqual([expect.stringContaining('OTEL_METRIC_EXPORT_INTERVAL')]);
  });
});

describe('parseResourceAttributes', () => {
  it('decodes percent-encoded values and skips malformed entries with a warning', () => {
    const warnings: string[] = [];
    expect(parseResourceAttributes('a=1, b = two%20words ,=x,novalue,c=%E0%A4%A', warnings)).toEqual({ a: '1', b: 'two words' });
    expect(warnings).toHaveLength(3);
  });
});
