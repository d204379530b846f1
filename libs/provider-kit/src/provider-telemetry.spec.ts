import { status as Status } from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { common, provider } from '@switchyard/contracts';
import { ServiceFailure } from '@switchyard/grpc-kit';
import { chatMessage, type ProviderServiceImplementation, type ServerCallContext } from '@switchyard/sdk';
import { contextWithAttribution, setContentCapture, startTelemetry, type SwitchyardMetrics, type Telemetry } from '@switchyard/telemetry';
import { create } from '@bufbuild/protobuf';
import { instrumentProviderService, upstreamServerAttributes } from './provider-telemetry';

const MARKER = 'OKAPI-MARKER-91c2';
const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;

beforeAll(() => {
  telemetry = startTelemetry({ serviceName: 'provider-telemetry-test', env: {}, autoInstrument: false, spanExporter: exporter });
});
afterAll(() => telemetry.shutdown());
beforeEach(() => {
  exporter.reset();
  setContentCapture(false);
});

/** A SwitchyardMetrics that remembers what was recorded. */
function recordingMetrics() {
  const calls: { method: string; attributes: Record<string, unknown>; value: unknown }[] = [];
  const push = (method: string) => (attributes: object, value: unknown) => calls.push({ method, attributes: { ...attributes }, value });
  const metrics: SwitchyardMetrics = {
    recordTokenUsage: push('tokenUsage'),
    recordOperationDuration: push('duration'),
    recordTimeToFirstChunk: push('timeToFirstChunk'),
    recordCost: () => undefined,
    recordFallback: () => undefined,
    setCircuitState: () => undefined,
    observeOutboxDepth: () => () => undefined,
  };
  return { metrics, calls };
}

const usage = { inputTokens: 90n, outputTokens: 25n, cachedInputTokens: 10n, reasoningTokens: 5n };
const callContext = { signal: new AbortController().signal, remainingMs: () => 10_000, setHeader: () => undefined } as unknown as ServerCallContext;
const requestInit = {
  model: 'gpt-4o-mini',
  messages: [chatMessage('system', 'Be brief.'), chatMessage('user', `Tell me about ${MARKER}`)],
  params: { maxOutputTokens: 64, temperature: 0.25, topP: 0.9 },
  requestId: 'req-42',
};
const request = () => create(provider.GenerateRequestSchema, requestInit);
const streamRequest = () => create(provider.StreamGenerateRequestSchema, requestInit);

const reply = { case: 'text' as const, value: `echo ${MARKER}` };
const fakeImplementation = (script: Partial<ProviderServiceImplementation>): ProviderServiceImplementation => ({
  generate: async () => ({
    message: { role: common.Role.ASSISTANT, parts: [{ kind: reply }] },
    finishReason: common.FinishReason.STOP,
    providerFinishReason: 'stop',
    usage,
    responseModel: 'gpt-4o-mini-2024-07-18',
    responseId: 'chatcmpl-1',
  }),
  async *streamGenerate() {
    yield { event: { case: 'delta', value: { text: `echo ` } } };
    yield { event: { case: 'delta', value: { text: MARKER } } };
    yield { event: { case: 'final', value: { providerFinishReason: 'stop', usage, responseModel: 'gpt-4o-mini-2024-07-18', responseId: 'chatcmpl-2' } } };
  },
  listModels: () => ({ models: [], nextPageToken: '' }),
  ...script,
});

const chatSpan = (): ReadableSpan => {
  const spans = exporter.getFinishedSpans().filter((s) => s.name === 'chat gpt-4o-mini');
  if (spans.length !== 1) throw new Error(`expected one chat span, have: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
  return spans[0];
};
const asTeam = <T>(fn: () => T) => context.with(contextWithAttribution(context.active(), { team: 'team-a', project: 'search' }), fn);
const drain = async <T>(stream: AsyncIterable<T>) => {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
};

describe('instrumentProviderService', () => {
  it('wraps Generate in a chat CLIENT span with GenAI request and response attributes, and records the metrics', async () => {
    const { metrics, calls } = recordingMetrics();
    const service = instrumentProviderService(fakeImplementation({}), { provider: 'openai', upstreamBaseUrl: 'https://api.openai.com/v1', metrics });
    const response = await asTeam(() => service.generate(request(), callContext));
    expect(response.responseId).toBe('chatcmpl-1');

    const span = chatSpan();
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.25,
      'gen_ai.request.top_p': 0.9,
      'server.address': 'api.openai.com',
      'server.port': 443,
      'switchyard.request_id': 'req-42',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 25,
      'gen_ai.usage.cache_read.input_tokens': 10,
      'gen_ai.usage.reasoning.output_tokens': 5,
      'switchyard.team': 'team-a',
    });
    expect(JSON.stringify(span.attributes)).not.toContain(MARKER);

    const expected = { provider: 'openai', requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', serverAddress: 'api.openai.com', serverPort: 443, team: 'team-a' };
    expect(calls.map((c) => c.method)).toEqual(['tokenUsage', 'duration']);
    expect(calls[0]).toMatchObject({ attributes: expected, value: usage });
    expect(calls[1].attributes).toMatchObject(expected);
    expect(calls[1].attributes.errorType).toBeUndefined();
    expect(calls[1].value).toBeGreaterThanOrEqual(0);
  });

  it('marks a failed Generate with error.type and records its duration as failed', async () => {
    const { metrics, calls } = recordingMetrics();
    const failure = new ServiceFailure(Status.RESOURCE_EXHAUSTED, 'openai rate limited the request', { reason: 'UPSTREAM_RATE_LIMITED' });
    const service = instrumentProviderService(fakeImplementation({ generate: () => Promise.reject(failure) }), {
      provider: 'openai',
      upstreamBaseUrl: 'http://127.0.0.1:8080/v1',
      metrics,
    });
    await expect(service.generate(request(), callContext)).rejects.toBe(failure);
    const span = chatSpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({ 'error.type': 'RESOURCE_EXHAUSTED', 'server.address': '127.0.0.1', 'server.port': 8080 });
    expect(calls).toEqual([{ method: 'duration', attributes: expect.objectContaining({ errorType: 'RESOURCE_EXHAUSTED' }), value: expect.any(Number) }]);
  });

  it('keeps a StreamGenerate span open to the final event, with time to first chunk and usage', async () => {
    const { metrics, calls } = recordingMetrics();
    const service = instrumentProviderService(fakeImplementation({}), { provider: 'openai', upstreamBaseUrl: 'https://api.openai.com/v1', metrics });
    const items = await asTeam(() => drain(service.streamGenerate(streamRequest(), callContext)));
    expect(items.map((i) => i.event?.case)).toEqual(['delta', 'delta', 'final']);

    const span = chatSpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.id': 'chatcmpl-2',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 25,
      'switchyard.team': 'team-a',
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toEqual(expect.any(Number));
    expect(JSON.stringify(span.attributes)).not.toContain(MARKER);
    expect(calls.map((c) => c.method)).toEqual(['tokenUsage', 'timeToFirstChunk', 'duration']);
    for (const call of calls) expect(call.attributes).toMatchObject({ responseModel: 'gpt-4o-mini-2024-07-18', team: 'team-a' });
  });

  it('records the partial usage and error.type of a stream that broke', async () => {
    const { metrics, calls } = recordingMetrics();
    const broken = new ServiceFailure(Status.UNAVAILABLE, 'openai ended the stream early', {
      reason: 'UPSTREAM_STREAM_TRUNCATED',
      partialUsage: { usage: { inputTokens: 90n, outputTokens: 3n }, estimated: true },
    });
    const service = instrumentProviderService(
      fakeImplementation({
        async *streamGenerate() {
          yield { event: { case: 'delta', value: { text: 'partial' } } };
          throw broken;
        },
      }),
      { provider: 'openai', upstreamBaseUrl: 'https://api.openai.com/v1', metrics },
    );
    await expect(drain(service.streamGenerate(streamRequest(), callContext))).rejects.toBe(broken);
    const span = chatSpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({ 'error.type': 'UNAVAILABLE', 'gen_ai.usage.input_tokens': 90, 'gen_ai.usage.output_tokens': 3 });
    expect(calls.map((c) => [c.method, c.attributes.errorType])).toEqual([
      ['tokenUsage', 'UNAVAILABLE'],
      ['timeToFirstChunk', 'UNAVAILABLE'],
      ['duration', 'UNAVAILABLE'],
    ]);
  });

  it('ends the span of a stream the caller abandoned, as CANCELLED', async () => {
    const { metrics, calls } = recordingMetrics();
    const service = instrumentProviderService(fakeImplementation({}), { provider: 'openai', upstreamBaseUrl: 'https://api.openai.com/v1', metrics });
    for await (const item of service.streamGenerate(streamRequest(), callContext)) {
      expect(item.event?.case).toBe('delta');
      break;
    }
    expect(chatSpan().attributes['error.type']).toBe('CANCELLED');
    expect(calls.find((c) => c.method === 'duration')?.attributes.errorType).toBe('CANCELLED');
  });

  it('puts prompt and completion text on the span only when content capture is on', async () => {
    setContentCapture(true);
    const { metrics } = recordingMetrics();
    const service = instrumentProviderService(fakeImplementation({}), { provider: 'openai', upstreamBaseUrl: 'https://api.openai.com/v1', metrics });
    await service.generate(request(), callContext);
    const unary = chatSpan();
    expect(JSON.parse(String(unary.attributes['gen_ai.input.messages']))).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
      { role: 'user', parts: [{ type: 'text', content: `Tell me about ${MARKER}` }] },
    ]);
    expect(String(unary.attributes['gen_ai.output.messages'])).toContain(`echo ${MARKER}`);
    exporter.reset();
    await drain(service.streamGenerate(streamRequest(), callContext));
    expect(String(chatSpan().attributes['gen_ai.output.messages'])).toContain(`echo ${MARKER}`);
  });

  it('passes ListModels through untouched, without a span', async () => {
    const service = instrumentProviderService(fakeImplementation({}), { provider: 'openai', upstreamBaseUrl: 'https://api.openai.com/v1', metrics: recordingMetrics().metrics });
    expect(await service.listModels(create(provider.ListModelsRequestSchema), callContext)).toEqual({ models: [], nextPageToken: '' });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

describe('upstreamServerAttributes', () => {
  it.each([
    ['https://api.openai.com/v1', { serverAddress: 'api.openai.com', serverPort: 443 }],
    ['http://127.0.0.1:8080/v1', { serverAddress: '127.0.0.1', serverPort: 8080 }],
    ['http://vllm.internal/v1', { serverAddress: 'vllm.internal', serverPort: 80 }],
    ['http://[::1]:9000', { serverAddress: '::1', serverPort: 9000 }],
    ['not a url', {}],
  ])('%s', (baseUrl, expected) => {
    expect(upstreamServerAttributes(baseUrl)).toEqual(expected);
  });
});
