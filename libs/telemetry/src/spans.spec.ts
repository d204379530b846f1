import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, type Telemetry } from './bootstrap';
import { recordGenAiContent, setContentCapture } from './content-capture';
import { describeErrorType } from './error-type';
import {
  budgetAttributes,
  costAttributes,
  currentTraceId,
  routeDecisionAttributes,
  setGenAiResponseAttributes,
  withGenAiSpan,
  withGenAiSpanStream,
  withSpan,
  withSpanStream,
} from './spans';

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;

beforeAll(() => {
  telemetry = startTelemetry({ serviceName: 'spans-test', env: {}, autoInstrument: false, spanExporter: exporter });
});
afterAll(() => telemetry.shutdown());
beforeEach(() => exporter.reset());

const finished = (name: string): ReadableSpan => {
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  if (!span) throw new Error(`no span ${name}; have ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
  return span;
};

describe('withSpan', () => {
  it('wraps sync and async work, nests spans and ends them', async () => {
    const value = await withSpan('outer', { a: 1 }, async () => {
      const inner = withSpan('inner', {}, () => currentTraceId());
      await new Promise((resolve) => setTimeout(resolve, 1));
      return inner;
    });
    const outer = finished('outer');
    const inner = finished('inner');
    expect(value).toBe(outer.spanContext().traceId);
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(outer.attributes).toEqual({ a: 1 });
    expect(outer.status.code).toBe(SpanStatusCode.UNSET);
    expect(outer.kind).toBe(SpanKind.INTERNAL);
  });

  it('marks a failure with error.type, an exception event and ERROR, and rethrows the same error', async () => {
    const failure = Object.assign(new Error('upstream unavailable'), { name: 'SwitchyardError', code: 14 });
    await expect(withSpan('budget.reserve', {}, async () => Promise.reject(failure))).rejects.toBe(failure);
    expect(() => withSpan('route.decide', {}, () => {
      throw new TypeError('bad');
    })).toThrow(TypeError);
    const reserve = finished('budget.reserve');
    expect(reserve.status).toEqual({ code: SpanStatusCode.ERROR, message: 'upstream unavailable' });
    expect(reserve.attributes['error.type']).toBe('UNAVAILABLE');
    expect(reserve.events.map((e) => e.name)).toEqual(['exception']);
    expect(finished('route.decide').attributes['error.type']).toBe('TypeError');
  });
});

describe('describeErrorType', () => {
  it.each([
    [{ codeName: 'RESOURCE_EXHAUSTED', code: 8 }, 'RESOURCE_EXHAUSTED'],
    [Object.assign(new Error('x'), { name: 'ServiceFailure', code: 4 }), 'DEADLINE_EXCEEDED'],
    [Object.assign(new Error('x'), { name: 'RateLimitError', status: 429, code: 'rate_limit_exceeded' }), '429'],
    [new TypeError('x'), 'TypeError'],
    [new Error('plain'), '_OTHER'],
    ['a string', '_OTHER'],
    [{ errorType: 'UPSTREAM_TIMEOUT', code: 14 }, 'UPSTREAM_TIMEOUT'],
  ])('%p → %s', (error, expected) => expect(describeErrorType(error)).toBe(expected));
});

describe('GenAI spans', () => {
  it('names the span `chat {model}`, kind CLIENT, with request, response and exact cost attributes', async () => {
    await withGenAiSpan(
      { provider: 'openai', model: 'gpt-4o-mini', maxTokens: 256, temperature: 0.2, serverAddress: '127.0.0.1', serverPort: 50051, requestId: 'req-1', attempt: 1 },
      async (span) => {
        setGenAiResponseAttributes(
          span,
          {
            responseModel: 'gpt-4o-mini-2024-07-18',
            responseId: 'chatcmpl-1',
            finishReasons: ['stop'],
            usage: { inputTokens: 100n, outputTokens: 20n, cachedInputTokens: 28n, reasoningTokens: 5n },
          },
          { nanosUsd: 1_234_567_890_123n, priceVersion: '2026-11-26', baselineNanosUsd: 9_000_000_000n, baselineModel: 'openai/gpt-4o' },
        );
      },
    );
    const span = finished('chat gpt-4o-mini');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.temperature': 0.2,
      'server.address': '127.0.0.1',
      'server.port': 50051,
      'switchyard.request_id': 'req-1',
      'switchyard.attempt': 1,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 128,
      'gen_ai.usage.output_tokens': 20,
      'gen_ai.usage.cache_read.input_tokens': 28,
      'gen_ai.usage.reasoning.output_tokens': 5,
      'gen_ai.usage.cost': 1234.567890123,
      'switchyard.cost.nanos_usd': 1_234_567_890_123,
      'switchyard.cost.price_version': '2026-11-26',
      'switchyard.cost.baseline_nanos_usd': 9_000_000_000,
      'switchyard.cost.baseline_model': 'openai/gpt-4o',
    });
  });

  it('counts prompt-cache writes in the input total and reports them apart', async () => {
    await withGenAiSpan({ provider: 'anthropic', model: 'claude-haiku-4-5' }, async (span) => {
      setGenAiResponseAttributes(span, { usage: { inputTokens: 10n, outputTokens: 2n, cachedInputTokens: 30n, cacheWriteInputTokens: 2048n } });
    });
    expect(finished('chat claude-haiku-4-5').attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 2088,
      'gen_ai.usage.cache_read.input_tokens': 30,
      'gen_ai.usage.cache_creation.input_tokens': 2048,
    });
  });

  it('marks estimated usage, and only estimated usage', async () => {
    await withGenAiSpan({ provider: 'ollama', model: 'llama' }, async (span) => {
      setGenAiResponseAttributes(span, { usage: { inputTokens: 10n, outputTokens: 2n, estimated: true } });
    });
    await withGenAiSpan({ provider: 'openai', model: 'gpt-4o-mini' }, async (span) => {
      setGenAiResponseAttributes(span, { usage: { inputTokens: 10n, outputTokens: 2n, estimated: false } });
    });
    expect(finished('chat llama').attributes['switchyard.usage.estimated']).toBe(true);
    expect(finished('chat gpt-4o-mini').attributes).not.toHaveProperty('switchyard.usage.estimated');
  });

  it('keeps money exact past 2^53 nano-USD by writing the decimal string', () => {
    expect(costAttributes({ nanosUsd: 2n ** 60n })['switchyard.cost.nanos_usd']).toBe('1152921504606846976');
    expect(costAttributes({ nanosUsd: 0n })).toEqual({ 'gen_ai.usage.cost': 0, 'switchyard.cost.nanos_usd': 0 });
  });

  it('streams: the span covers the whole stream, runs each pull in its context and records time to first chunk', async () => {
    async function* upstream() {
      yield currentTraceId();
      await new Promise((resolve) => setTimeout(resolve, 2));
      yield trace.getActiveSpan()?.spanContext().spanId;
    }
    const items: (string | undefined)[] = [];
    for await (const item of withGenAiSpanStream({ provider: 'anthropic', model: 'claude-x' }, () => upstream())) items.push(item);
    const span = finished('chat claude-x');
    expect(items).toEqual([span.spanContext().traceId, span.spanContext().spanId]);
    expect(span.attributes['gen_ai.request.stream']).toBe(true);
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toEqual(expect.any(Number));
    expect(span.ended).toBe(true);
  });

  it('streams: a consumer that stops early still ends the span; a failing stream marks it', async () => {
    async function* endless() {
      for (let i = 0; i < 1000; i++) yield i;
    }
    for await (const i of withSpanStream('early', {}, () => endless())) if (i === 2) break;
    expect(finished('early').status.code).toBe(SpanStatusCode.UNSET);

    async function* broken() {
      yield 1;
      throw Object.assign(new Error('stream cut'), { name: 'SwitchyardError', code: 14 });
    }
    await expect(
      (async () => {
        for await (const _ of withSpanStream('broken', {}, () => broken()));
      })(),
    ).rejects.toThrow('stream cut');
    expect(finished('broken').attributes['error.type']).toBe('UNAVAILABLE');
  });

  it('records prompt and completion text only when content capture is on', () => {
    withSpan('no-content', {}, (span) => recordGenAiContent(span, { input: [{ role: 'user', text: 'secret prompt' }] }));
    expect(finished('no-content').attributes).toEqual({});
    setContentCapture(true);
    try {
      withSpan('content', {}, (span) =>
        recordGenAiContent(span, { input: [{ role: 'user', text: 'hello' }], output: [{ role: 'assistant', text: 'hi', finishReason: 'stop' }] }),
      );
    } finally {
      setContentCapture(false);
    }
    expect(JSON.parse(finished('content').attributes['gen_ai.input.messages'] as string)).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'hello' }] }]);
    expect(JSON.parse(finished('content').attributes['gen_ai.output.messages'] as string)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'hi' }], finish_reason: 'stop' },
    ]);
  });
});

describe('route and budget attributes', () => {
  it('describe the decision and the hold without the prompt', () => {
    expect(
      routeDecisionAttributes({
        candidates: ['openai/gpt-4o-mini', 'anthropic/claude-x'],
        chosen: 'openai/gpt-4o-mini',
        rule: 'cheapest_meeting_quality',
        classification: { taskClass: 'TASK_CLASS_CHAT', difficulty: 0.2, safetyScore: 0.01, expectedOutputTokens: 120n },
      }),
    ).toEqual({
      'switchyard.route.candidates': ['openai/gpt-4o-mini', 'anthropic/claude-x'],
      'switchyard.route.chosen': 'openai/gpt-4o-mini',
      'switchyard.route.rule': 'cheapest_meeting_quality',
      'switchyard.classifier.task_class': 'TASK_CLASS_CHAT',
      'switchyard.classifier.difficulty': 0.2,
      'switchyard.classifier.safety_score': 0.01,
      'switchyard.classifier.expected_output_tokens': 120,
    });
    expect(budgetAttributes({ reservationId: 'res-1', heldNanosUsd: 5000n })).toEqual({
      'switchyard.budget.reservation_id': 'res-1',
      'switchyard.budget.held_nanos_usd': 5000,
    });
  });
});
