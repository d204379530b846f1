import { join } from 'node:path';
import { createRouterClient, chatMessage, SwitchyardError, type RouterServiceClient } from '@switchyard/sdk';
import { startFakeChatUpstream, type FakeChatUpstream } from './testing/fake-chat-upstream';
import { startFixtureProcess, type FixtureProcess } from './testing/fixture-process';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './testing/otlp-receiver';

// Real processes: a router fixture and an adapter fixture (each starting telemetry first, as a
// service's main.ts does), a fake OpenAI upstream and an OTLP receiver in this process. The router
// exports over http/json and the adapter over http/protobuf, so both HTTP encodings are decoded here.
const MARKER = 'ZEBRA-MARKER-7f3a';
const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';
const FIXTURES = join(__dirname, 'testing/fixtures');

let receiver: OtlpReceiver;
let fake: FakeChatUpstream;
let adapter: FixtureProcess;
let routerProcess: FixtureProcess;
let client: RouterServiceClient;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  fake = await startFakeChatUpstream({ failModels: ['gpt-broken'] });
  const common = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_METRICS_EXPORTER: 'prometheus',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
  };
  adapter = await startFixtureProcess(join(FIXTURES, 'fixture-adapter.ts'), {
    ...common,
    OTEL_SERVICE_NAME: 'fixture-adapter',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    FIXTURE_UPSTREAM_URL: fake.baseURL,
      });
  routerProcess = await startFixtureProcess(join(FIXTURES, 'fixture-router.ts'), {
    ...common,
    OTEL_SERVICE_NAME: 'fixture-router',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    FIXTURE_ADAPTER_ADDRESS: adapter.ready.address,
    FIXTURE_CANDIDATES: 'gpt-broken,gpt-4o-mini',
  });
  client = createRouterClient(routerProcess.ready.address, { apiKey: 'sk-team-a', timeoutMs: 10_000 });
}, 60_000);

afterAll(async () => {
  client?.close();
  await Promise.all([routerProcess?.stop(), adapter?.stop()]);
  await fake?.close();
  await receiver?.close();
});

const caller = (spanId = CALLER_SPAN_ID) => ({
  traceparent: `00-${CALLER_TRACE_ID.slice(0, 30)}${spanId.slice(-2)}-${spanId}-01`,
  // A caller trying to bill someone else: the router must ignore this.
  baggage: 'switchyard.team=victim-team,switchyard.project=stolen',
});

const toJson = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
const inTrace = (traceId: string) => (spans: ReceivedSpan[]) => spans.filter((s) => s.traceId === traceId);
const one = (spans: ReceivedSpan[], predicate: (s: ReceivedSpan) => boolean, what: string) => {
  const found = spans.filter(predicate);
  if (found.length !== 1) throw new Error(`expected one ${what}, found ${found.length}: ${spans.map((s) => `${s.serviceName}:${s.name}`).join(', ')}`);
  return found[0];
};
const routerServer = (s: ReceivedSpan) => s.serviceName === 'fixture-router' && s.kind === 'SERVER' && s.name === 'switchyard.router.v1.RouterService/Generate';
const adapterHttp = (s: ReceivedSpan) => s.serviceName === 'fixture-adapter' && s.kind === 'CLIENT' && s.name === 'POST';

describe('one trace across router → adapter → upstream (real processes, OTLP decoded here)', () => {
  it('links every span into one trace with the right parents, attribution, GenAI and cost attributes', async () => {
    const headers = caller();
    const traceId = headers.traceparent.split('-')[1];
    const response = await client.generate(
      {
        model: 'gpt-4o-mini',
        messages: [chatMessage('user', `Summarise the ${MARKER} report please`)],
        params: { maxOutputTokens: 64, temperature: 0.3 },
        context: { requestId: 'req-clean-1', project: 'search', featureTags: ['feature:summaries'] },
      },
      { metadata: headers },
    );
    expect(response.traceId).toBe(traceId);

    const spans = inTrace(traceId)(
      await receiver.waitForSpans((all) => inTrace(traceId)(all).some(routerServer) && inTrace(traceId)(all).some(adapterHttp)),
    );
    const server = one(spans, routerServer, 'router server span');
    const decide = one(spans, (s) => s.name === 'route.decide', 'route.decide');
    const reserve = one(spans, (s) => s.name === 'budget.reserve', 'budget.reserve');
    const settle = one(spans, (s) => s.name === 'budget.settle', 'budget.settle');
    const chat = one(spans, (s) => s.serviceName === 'fixture-router' && s.name === 'chat gpt-4o-mini', 'router chat span');
    const grpcClient = one(spans, (s) => s.serviceName === 'fixture-router' && s.name === 'switchyard.provider.v1.ProviderService/Generate', 'gRPC client span');
    const adapterServer = one(spans, (s) => s.serviceName === 'fixture-adapter' && s.kind === 'SERVER', 'adapter server span');
    const adapterChat = one(spans, (s) => s.serviceName === 'fixture-adapter' && s.name === 'chat gpt-4o-mini', 'adapter chat span');
    const http = one(spans, adapterHttp, 'upstream HTTP span');

    // Parent/child across both processes, starting from the caller's traceparent.
    expect(server.parentSpanId).toBe(CALLER_SPAN_ID);
    expect(decide.parentSpanId).toBe(server.spanId);
    expect(reserve.parentSpanId).toBe(server.spanId);
    expect(chat.parentSpanId).toBe(server.spanId);
    expect(grpcClient.parentSpanId).toBe(chat.spanId);
    expect(adapterServer.parentSpanId).toBe(grpcClient.spanId);
    expect(adapterChat.parentSpanId).toBe(adapterServer.spanId);
    expect(http.parentSpanId).toBe(adapterChat.spanId);
    expect(settle.parentSpanId).toBe(server.spanId);
    expect(new Set(spans.map((s) => s.serviceName))).toEqual(new Set(['fixture-router', 'fixture-adapter']));
    expect(chat.kind).toBe('CLIENT');
    // The SDK stamps span starts from Date.now() (whole milliseconds) and ends from the monotonic clock, so order is checked per millisecond.
    const ms = (nanos: bigint) => nanos / 1_000_000n;
    expect(ms(decide.startTimeUnixNano)).toBeLessThanOrEqual(ms(reserve.startTimeUnixNano));
    expect(ms(reserve.startTimeUnixNano)).toBeLessThanOrEqual(ms(chat.startTimeUnixNano));
    expect(ms(chat.endTimeUnixNano)).toBeLessThanOrEqual(ms(settle.startTimeUnixNano));

    // Team/project/tags from the authenticated key, never the caller's baggage, on every span of the request.
    for (const span of [server, decide, reserve, chat, grpcClient, adapterServer, adapterChat, http, settle]) {
      expect({ name: span.name, team: span.attributes['switchyard.team'] }).toEqual({ name: span.name, team: 'team-a' });
      if (span !== server) expect(span.attributes['switchyard.project']).toBe('search');
    }
    expect(adapterChat.attributes['switchyard.feature_tags']).toEqual(['feature:summaries']);
    expect(toJson(spans)).not.toContain('victim-team');

    // GenAI attributes equal what the response (and so billing) carries: same tokens, same nano-dollars.
    const usage = response.usage!;
    const cost = response.cost!;
    const upstream = fake.exchanges.filter((e) => e.status === 200).at(-1)!;
    expect(upstream.request.model).toBe('gpt-4o-mini');
    expect(usage).toMatchObject({
      inputTokens: BigInt(upstream.usage!.prompt_tokens - upstream.usage!.cached_tokens),
      cachedInputTokens: BigInt(upstream.usage!.cached_tokens),
      outputTokens: BigInt(upstream.usage!.completion_tokens),
      reasoningTokens: BigInt(upstream.usage!.reasoning_tokens),
    });
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.3,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': Number(usage.inputTokens + usage.cachedInputTokens),
      'gen_ai.usage.output_tokens': Number(usage.outputTokens),
      'gen_ai.usage.cache_read.input_tokens': Number(usage.cachedInputTokens),
      'gen_ai.usage.reasoning.output_tokens': Number(usage.reasoningTokens),
      'switchyard.cost.nanos_usd': Number(cost.nanosUsd),
      'switchyard.cost.price_version': cost.priceVersion,
      'switchyard.cost.baseline_nanos_usd': Number(cost.baselineNanosUsd),
      'gen_ai.usage.cost': Number(cost.nanosUsd) / 1e9,
      'server.address': '127.0.0.1',
      'switchyard.attempt': 1,
      'switchyard.request_id': 'req-clean-1',
    });
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBe(upstream.usage!.prompt_tokens);
    expect(Number(usage.cachedInputTokens) * Number(usage.reasoningTokens)).toBeGreaterThan(0);
    expect(cost.nanosUsd).toBeGreaterThan(0n);
    expect(adapterChat.attributes).toMatchObject({
      'gen_ai.response.id': expect.stringMatching(/^chatcmpl-/),
      'gen_ai.usage.output_tokens': Number(usage.outputTokens),
      'server.address': '127.0.0.1',
      'server.port': fake.port,
    });
    expect(server.attributes['switchyard.cost.nanos_usd']).toBe(Number(cost.nanosUsd));
    expect(decide.attributes).toMatchObject({ 'switchyard.route.chosen': 'openai/gpt-4o-mini', 'switchyard.route.rule': 'pinned', 'switchyard.classifier.task_class': 'TASK_CLASS_CHAT' });

    // Stable RPC names on the instrumentation's spans; stable HTTP names on the upstream call.
    for (const span of [server, grpcClient, adapterServer]) {
      expect(span.attributes).toMatchObject({ 'rpc.system.name': 'grpc', 'rpc.status_code': 'OK' });
    }
    expect(grpcClient.attributes['rpc.method']).toBe('switchyard.provider.v1.ProviderService/Generate');
    expect(http.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200 });
    expect(server.resource).toMatchObject({ 'service.name': 'fixture-router', 'deployment.environment.name': 'test', 'service.instance.id': expect.any(String) });
    expect(receiver.exports.map((e) => e.protocol)).toEqual(expect.arrayContaining(['http/json', 'http/protobuf']));

    // Logs lead to the trace.
    const routerLogs = routerProcess.output.filter((line) => line.includes('"request served"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(routerLogs.at(-1)).toMatchObject({ trace_id: traceId, span_id: server.spanId });
    expect(adapter.output.some((line) => line.includes(`"trace_id":"${traceId}"`) && line.includes('upstream answered'))).toBe(true);
  });

  it('a fallback shows both attempts; the failed one carries error.type and ERROR on every span it crossed', async () => {
    const headers = caller('00f067aa0ba902c8');
    const traceId = headers.traceparent.split('-')[1];
    const response = await client.generate({ messages: [chatMessage('user', `Plan ${MARKER} migration`)] }, { metadata: headers });
    expect(response.responseModel).toBe('gpt-4o-mini-2024-07-18');

    const spans = inTrace(traceId)(
      await receiver.waitForSpans((all) => inTrace(traceId)(all).some(routerServer) && inTrace(traceId)(all).filter(adapterHttp).length >= 2),
    );
    const server = one(spans, routerServer, 'router server span');
    const failed = one(spans, (s) => s.serviceName === 'fixture-router' && s.name === 'chat gpt-broken', 'failed attempt');
    const succeeded = one(spans, (s) => s.serviceName === 'fixture-router' && s.name === 'chat gpt-4o-mini', 'fallback attempt');
    expect(failed.parentSpanId).toBe(server.spanId);
    expect(succeeded.parentSpanId).toBe(server.spanId);
    expect(failed.status.code).toBe('ERROR');
    expect(failed.attributes).toMatchObject({ 'error.type': 'UNAVAILABLE', 'switchyard.attempt': 1 });
    expect(succeeded.status.code).toBe('UNSET');
    expect(succeeded.attributes).toMatchObject({ 'switchyard.attempt': 2, 'switchyard.fallback.from': 'openai/gpt-broken' });
    expect(succeeded.attributes['error.type']).toBeUndefined();

    const failedHttp = one(spans, (s) => adapterHttp(s) && s.attributes['http.response.status_code'] === 503, 'failed upstream call');
    expect(failedHttp.status.code).toBe('ERROR');
    expect(failedHttp.attributes['error.type']).toBe('503');
    const failedAdapterServer = one(spans, (s) => s.serviceName === 'fixture-adapter' && s.kind === 'SERVER' && s.status.code === 'ERROR', 'failed adapter call');
    expect(failedAdapterServer.attributes).toMatchObject({ 'rpc.status_code': 'UNAVAILABLE', 'error.type': 'UNAVAILABLE' });
    expect(server.status.code).toBe('UNSET');
    expect(server.attributes['rpc.status_code']).toBe('OK');
  });

  it('a request whose every candidate fails ends with UNAVAILABLE and error.type on the server span', async () => {
    const headers = caller('00f067aa0ba902d9');
    const traceId = headers.traceparent.split('-')[1];
    const error = await client.generate({ model: 'gpt-broken', messages: [chatMessage('user', `Try ${MARKER}`)] }, { metadata: headers }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchyardError);
    expect((error as SwitchyardError).codeName).toBe('UNAVAILABLE');
    const spans = inTrace(traceId)(await receiver.waitForSpans((all) => inTrace(traceId)(all).some(routerServer)));
    const server = one(spans, routerServer, 'router server span');
    expect(server.status.code).toBe('ERROR');
    expect(server.attributes).toMatchObject({ 'rpc.status_code': 'UNAVAILABLE', 'error.type': 'UNAVAILABLE', 'switchyard.team': 'team-a' });
  });

  it('serves the metrics on each process Prometheus endpoint, grpc-kit rpc.server.call.duration included', async () => {
    const routerMetrics = await (await fetch(routerProcess.ready.metrics!)).text();
    const adapterMetrics = await (await fetch(adapter.ready.metrics!)).text();
    expect(routerMetrics).toMatch(/^rpc_server_call_duration_bucket\{.*rpc_method="switchyard\.router\.v1\.RouterService\/Generate".*\} \d+$/m);
    expect(routerMetrics).toMatch(/^switchyard_cost_nanos_usd_total\{.*switchyard_team="team-a".*gen_ai_request_model="gpt-4o-mini".*\} [1-9]\d*$/m);
    expect(routerMetrics).toMatch(/^switchyard_router_fallbacks_total\{.*switchyard_fallback_from="openai\/gpt-broken".*\} [1-9]/m);
    expect(adapterMetrics).toMatch(/^gen_ai_client_token_usage_bucket\{.*gen_ai_token_type="output".*switchyard_team="team-a".*\} \d+$|^gen_ai_client_token_usage_bucket\{.*switchyard_team="team-a".*gen_ai_token_type="output".*\} \d+$/m);
    expect(adapterMetrics).toMatch(/^gen_ai_client_operation_duration_bucket\{.*error_type="UNAVAILABLE".*\} \d+$/m);
    expect(adapterMetrics).toMatch(/^rpc_server_call_duration_count\{.*rpc_method="switchyard\.provider\.v1\.ProviderService\/Generate".*\} \d+$/m);
  });
  it('puts no prompt or completion text in any span or log line, and does not trace its own exports or scrapes', async () => {
    // Every request trace has arrived by now (each test waited for its own); give a scrape span, were there one, time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.spans.length).toBeGreaterThan(20);
    const receiverHost = new URL(receiver.url).host;
    expect(receiver.spans.filter((s) => toJson(s.attributes).includes(receiverHost))).toEqual([]);
    expect(receiver.spans.filter((s) => s.kind === 'SERVER' && !s.name.startsWith('switchyard.'))).toEqual([]);
    const everything = toJson(receiver.spans);
    expect(everything).not.toContain(MARKER);
    expect(everything).not.toContain('answer to:');
    const logs = [...routerProcess.output, ...adapter.output];
    expect(logs.length).toBeGreaterThan(5);
    expect(logs.filter((line) => line.includes(MARKER))).toEqual([]);
    // The marker really did travel: the fake upstream saw it.
    expect(fake.exchanges.some((e) => JSON.stringify(e.request).includes(MARKER))).toBe(true);
  });

});
