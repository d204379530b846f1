import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { getTelemetry, startTelemetry, type Telemetry } from './bootstrap';
import { withGenAiSpan, withSpan } from './spans';
import { startOtlpReceiver, type OtlpReceiver } from './testing/otlp-receiver';

// In-process: the gRPC exporter and the scrape endpoint work under jest (auto-instrumentation does not,
// and the HTTP exporters load node:http with a dynamic import that jest refuses without
// --experimental-vm-modules), so resource, sampler and metric handling are checked here over OTLP/gRPC;
// http/protobuf and http/json are exercised by real processes in trace-propagation.spec.ts.
let receiver: OtlpReceiver;
let telemetry: Telemetry | undefined;

beforeAll(async () => {
  receiver = await startOtlpReceiver({ grpc: true });
});
afterAll(() => receiver.close());
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  receiver.clear();
});

const grpcEnv = () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.grpcUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
const quietDiag = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, verbose: () => undefined };

describe('startTelemetry exporting over OTLP', () => {
  it('sends spans with the service resource', async () => {
    telemetry = startTelemetry({
      serviceName: 'router',
      serviceVersion: '0.1.0',
      autoInstrument: false,
      diagLogger: quietDiag,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.grpcUrl,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,k8s.pod.name=router-0',
      },
    });
    withGenAiSpan({ provider: 'openai', model: 'gpt-4o-mini' }, (span) => span.setAttribute('gen_ai.usage.output_tokens', 7));
    await telemetry.forceFlush();
    const spans = await receiver.waitForSpans((s) => s.length >= 1);
    expect(receiver.exports.map((e) => e.protocol)).toContain('grpc');
    expect(spans[0]).toMatchObject({ name: 'chat gpt-4o-mini', kind: 'CLIENT', serviceName: 'router', attributes: { 'gen_ai.usage.output_tokens': 7 } });
    expect(spans[0].resource).toMatchObject({
      'service.name': 'router',
      'service.version': '0.1.0',
      'service.namespace': 'switchyard',
      'service.instance.id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'deployment.environment.name': 'test',
      'k8s.pod.name': 'router-0',
      'telemetry.sdk.language': 'nodejs',
    });
  });

  it('honours OTEL_SERVICE_NAME and the sampler', async () => {
    telemetry = startTelemetry({
      serviceName: 'router',
      autoInstrument: false,
      diagLogger: quietDiag,
      env: { ...grpcEnv(), OTEL_SERVICE_NAME: 'router-canary', OTEL_METRICS_EXPORTER: 'none' },
    });
    withSpan('kept', {}, () => undefined);
    await telemetry.forceFlush();
    expect((await receiver.waitForSpans((s) => s.length >= 1))[0].serviceName).toBe('router-canary');
    await telemetry.shutdown();

    receiver.clear();
    telemetry = startTelemetry({
      serviceName: 'router',
      autoInstrument: false,
      diagLogger: quietDiag,
      env: { ...grpcEnv(), OTEL_TRACES_SAMPLER: 'always_off', OTEL_METRICS_EXPORTER: 'none' },
    });
    withSpan('dropped', {}, () => undefined);
    await telemetry.forceFlush();
    expect(receiver.spans).toEqual([]);
  });

  it('exports metrics over OTLP with the GenAI buckets', async () => {
    telemetry = startTelemetry({
      serviceName: 'adapter-openai',
      autoInstrument: false,
      diagLogger: quietDiag,
      env: { ...grpcEnv(), OTEL_TRACES_EXPORTER: 'none' },
    });
    telemetry.metrics.recordTokenUsage({ provider: 'openai', requestModel: 'gpt-4o-mini' }, { inputTokens: 10n, cachedInputTokens: 2n, outputTokens: 3n });
    telemetry.metrics.recordCost({ team: 'team-a', provider: 'openai', model: 'gpt-4o-mini', nanosUsd: 4200n });
    await telemetry.forceFlush();
    const metrics = await receiver.waitForMetrics((m) => m.some((x) => x.name === 'switchyard.cost.nanos_usd'));
    const tokens = metrics.find((m) => m.name === 'gen_ai.client.token.usage')!;
    expect(tokens.serviceName).toBe('adapter-openai');
    expect(tokens.points.find((p) => p.attributes['gen_ai.token.type'] === 'input')).toMatchObject({
      sum: 12,
      explicitBounds: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
    });
    expect(metrics.find((m) => m.name === 'switchyard.cost.nanos_usd')!.points[0]).toMatchObject({ value: 4200, attributes: { 'switchyard.team': 'team-a' } });
    expect(receiver.spans).toEqual([]);
  });

  it('exports nothing with no collector configured, but still makes spans (trace ids reach logs)', async () => {
    const memory = new InMemorySpanExporter();
    telemetry = startTelemetry({ serviceName: 'router', autoInstrument: false, diagLogger: quietDiag, env: {}, spanExporter: memory });
    withSpan('local only', {}, () => undefined, { kind: SpanKind.SERVER });
    await telemetry.forceFlush();
    expect(memory.getFinishedSpans().map((s) => s.name)).toEqual(['local only']);
    expect(receiver.exports).toEqual([]);
  });

  it('is a no-op with OTEL_SDK_DISABLED=true', async () => {
    telemetry = startTelemetry({ serviceName: 'router', diagLogger: quietDiag, env: { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
    expect(telemetry.enabled).toBe(false);
    expect(withSpan('nothing', {}, () => 42)).toBe(42);
    expect(await telemetry.prometheusAddress).toBeUndefined();
  });

  it('refuses a second start in one process and may be shut down twice', async () => {
    telemetry = startTelemetry({ serviceName: 'router', autoInstrument: false, diagLogger: quietDiag, env: {} });
    expect(getTelemetry()).toBe(telemetry);
    expect(() => startTelemetry({ serviceName: 'again', env: {} })).toThrow(/already started/);
    await telemetry.shutdown();
    await telemetry.shutdown();
    expect(getTelemetry()).toBeUndefined();
  });
});

describe('the Prometheus endpoint', () => {
  it('serves every Switchyard metric with the advised buckets', async () => {
    telemetry = startTelemetry({ serviceName: 'router', autoInstrument: false, diagLogger: quietDiag, env: {}, prometheusPort: 0, prometheusHost: '127.0.0.1' });
    const m = telemetry.metrics;
    const gen = { provider: 'openai', requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', serverAddress: 'api.openai.com', team: 'team-a' };
    m.recordTokenUsage(gen, { inputTokens: 100, outputTokens: 20 });
    m.recordOperationDuration(gen, 0.3);
    m.recordOperationDuration({ ...gen, errorType: 'UNAVAILABLE' }, 0.05);
    m.recordTimeToFirstChunk(gen, 0.05);
    m.recordCost({ team: 'team-a', project: 'search', provider: 'openai', model: 'gpt-4o-mini', nanosUsd: 1500n });
    m.recordFallback({ provider: 'openai', model: 'gpt-broken', reason: 'UNAVAILABLE', team: 'team-a' });
    m.setCircuitState({ provider: 'openai', model: 'gpt-broken' }, 'open');
    const stop = m.observeOutboxDepth(() => 3);

    const address = await telemetry.prometheusAddress;
    expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const response = await fetch(address!);
    expect(response.status).toBe(200);
    const text = await response.text();
    stop();

    expect(text).toMatch(/^gen_ai_client_token_usage_bucket\{.*gen_ai_token_type="input".*le="256"\} 1$/m);
    expect(text).toMatch(/^gen_ai_client_token_usage_bucket\{.*le="67108864"\} 1$/m);
    expect(text).toMatch(/^gen_ai_client_operation_duration_bucket\{.*le="0\.32"\} 1$/m);
    expect(text).toMatch(/^gen_ai_client_operation_duration_bucket\{.*error_type="UNAVAILABLE".*le="0\.08"\} 1$/m);
    expect(text).toMatch(/^gen_ai_client_operation_time_to_first_chunk_bucket\{.*le="0\.08"\} 1$/m);
    expect(text).toMatch(/^switchyard_cost_nanos_usd_total\{.*switchyard_team="team-a".*gen_ai_request_model="gpt-4o-mini".*\} 1500$/m);
    expect(text).toMatch(/^switchyard_router_fallbacks_total\{.*switchyard_fallback_from="openai\/gpt-broken".*\} 1$/m);
    expect(text).toMatch(/^switchyard_circuit_state\{.*gen_ai_request_model="gpt-broken".*\} 2$/m);
    expect(text).toMatch(/^switchyard_outbox_depth\{.*\} 3$/m);
    expect(text).toMatch(/^target_info\{.*service_name="router".*\} 1$/m);
    expect((await fetch(address!.replace('/metrics', '/other'))).status).toBe(404);
  });

  it('reports a taken port instead of crashing', async () => {
    const first = startTelemetry({ serviceName: 'a', autoInstrument: false, diagLogger: quietDiag, env: {}, prometheusPort: 0, prometheusHost: '127.0.0.1' });
    const port = Number(new URL((await first.prometheusAddress)!).port);
    await first.shutdown();
    // Hold the port with a plain server, then ask telemetry for it.
    const { createServer } = await import('node:http');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', () => resolve()));
    const errors: string[] = [];
    telemetry = startTelemetry({
      serviceName: 'b',
      autoInstrument: false,
      diagLogger: { ...quietDiag, error: (message: string) => errors.push(message) },
      env: {},
      prometheusPort: port,
      prometheusHost: '127.0.0.1',
    });
    expect(await telemetry.prometheusAddress).toBeUndefined();
    expect(errors.join(' ')).toMatch(/EADDRINUSE/);
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  });
});
