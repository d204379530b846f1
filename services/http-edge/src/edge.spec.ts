import Anthropic from '@anthropic-ai/sdk';
import { common } from '@switchyard/contracts';
import { createLogger } from '@switchyard/grpc-kit';
import { createRouterClient, type RouterServiceClient } from '@switchyard/sdk';
import OpenAI from 'openai';
import { startHttpEdge, type RunningHttpEdge } from './edge-server';
import { startFakeRouter, type FakeRouter } from './test-support/fake-router';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
};

/** Polls `check` every 10 ms until it is true, for at most `timeoutMs`. */
async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('HTTP edge with the official SDKs, against a fake router over real gRPC', () => {
  let fake: FakeRouter;
  let routerClient: RouterServiceClient;
  let edge: RunningHttpEdge;
  let openai: OpenAI;
  let anthropic: Anthropic;

  const billedOnce = (requestId: string | null) => {
    expect(requestId).toBeTruthy();
    expect(fake.billed.filter((row) => row.requestId === requestId)).toHaveLength(1);
  };

  beforeAll(async () => {
    fake = await startFakeRouter();
    routerClient = createRouterClient(fake.address);
    edge = await startHttpEdge({ router: routerClient, logger: createLogger({ service: 'http-edge', level: 'silent' }) });
    openai = new OpenAI({ baseURL: `${edge.url}/v1`, apiKey: fake.apiKey, maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: edge.url, apiKey: fake.apiKey, maxRetries: 0 });
  });
  afterAll(async () => {
    await edge.close(200);
    routerClient.close();
    await fake.close();
  });

  describe('OpenAI Chat Completions', () => {
    it('answers a chat completion with usage and x-switchyard-* headers', async () => {
      const { data, response } = await openai.chat.completions
        .create({ model: 'switchyard/auto', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What is the capital of France?' }] })
        .withResponse();
      expect(data.object).toBe('chat.completion');
      expect(data.choices[0]?.message.content).toBe('[echo-small] answer to: What is the capital of France?');
      expect(data.choices[0]?.finish_reason).toBe('stop');
      expect(data.model).toBe('echo-small');
      expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
      expect(data.usage?.total_tokens).toBe((data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0));
      expect(response.headers.get('x-switchyard-route')).toBe('fake/echo-small');
      expect(response.headers.get('x-switchyard-route-rule')).toBe('cheapest_meeting_quality');
      const cost = BigInt(response.headers.get('x-switchyard-cost-nanos-usd')!);
      expect(cost).toBe(BigInt(data.usage!.prompt_tokens) * 150n + BigInt(data.usage!.completion_tokens) * 600n);
      expect(response.headers.get('x-switchyard-trace-id')).toMatch(/^[0-9a-f]{32}$/);
      const requestId = response.headers.get('x-switchyard-request-id');
      expect(response.headers.get('x-request-id')).toBe(requestId);
      expect(data.id).toBe(`chatcmpl-${requestId}`);
      billedOnce(requestId);
      const sent = fake.calls[fake.calls.length - 1]!.request!;
      expect(sent.model).toBe('switchyard/auto');
      expect(sent.messages.map((m) => m.role)).toEqual([common.Role.SYSTEM, common.Role.USER]);
      expect(sent.context?.requestId).toBe(requestId);
    });

    it('passes a concrete model through to the router', async () => {
      const { data, response } = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      expect(data.model).toBe('gpt-4o-mini');
      expect(response.headers.get('x-switchyard-route')).toBe('openai/gpt-4o-mini');
      expect(response.headers.get('x-switchyard-route-rule')).toBe('pinned');
    });

    it('streams SSE chunks with usage at the end and the route in the last chunk', async () => {
      const { data: stream, response } = await openai.chat.completions
        .create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'Tell me about trains' }], stream: true, stream_options: { include_usage: true } })
        .withResponse();
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      expect(response.headers.get('x-switchyard-route')).toBe('fake/echo-small');
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
      expect(text).toBe('[echo-small] answer to: Tell me about trains');
      expect(chunks.length).toBeGreaterThan(5);
      const last = chunks[chunks.length - 1]!;
      expect(last.choices).toEqual([]);
      expect(last.usage?.completion_tokens).toBeGreaterThan(0);
      expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
      expect(chunks[chunks.length - 2]?.choices[0]?.finish_reason).toBe('stop');
      const extension = (last as unknown as { switchyard: { route: { model: string }; cost: { nanos_usd: string }; request_id: string } }).switchyard;
      expect(extension.route.model).toBe('echo-small');
      expect(BigInt(extension.cost.nanos_usd)).toBeGreaterThan(0n);
      expect(extension.request_id).toBe(response.headers.get('x-switchyard-request-id'));
      billedOnce(extension.request_id);
    });

    it('streams without usage when include_usage is not asked for', async () => {
      const stream = await openai.chat.completions.create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'short' }], stream: true });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.every((c) => c.usage === undefined)).toBe(true);
      expect(chunks[chunks.length - 1]?.choices[0]?.finish_reason).toBe('stop');
    });

    it('does a tool call round trip', async () => {
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
      const first = await openai.chat.completions.create({ model: 'switchyard/auto', messages, tools: [weatherTool] });
      const choice = first.choices[0]!;
      expect(choice.finish_reason).toBe('tool_calls');
      const call = choice.message.tool_calls?.[0];
      expect(call?.type).toBe('function');
      if (call?.type !== 'function') throw new Error('expected a function call');
      expect(call.function.name).toBe('get_weather');
      expect(JSON.parse(call.function.arguments)).toHaveProperty('city');
      expect(choice.message.content).toBeNull();

      messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: '{"temperature_c": 21}' });
      const second = await openai.chat.completions.create({ model: 'switchyard/auto', messages, tools: [weatherTool] });
      expect(second.choices[0]?.message.content).toBe('[echo-small] answer using tool result: {"temperature_c": 21}');
      const sent = fake.calls[fake.calls.length - 1]!.request!;
      expect(sent.messages[1]?.toolCalls[0]).toMatchObject({ id: call.id, name: 'get_weather' });
      expect(sent.messages[2]).toMatchObject({ role: common.Role.TOOL, toolCallId: call.id });
    });

    it('streams a tool call that the SDK accumulates', async () => {
      const runner = openai.chat.completions.stream({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'weather in Oslo' }], tools: [weatherTool] });
      const final = await runner.finalChatCompletion();
      const call = final.choices[0]?.message.tool_calls?.[0];
      expect(final.choices[0]?.finish_reason).toBe('tool_calls');
      expect(call?.type === 'function' && call.function.name).toBe('get_weather');
      expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toHaveProperty('city');
    });

    it('answers in JSON mode and with a JSON schema', async () => {
      const jsonMode = await openai.chat.completions.create({
        model: 'switchyard/auto',
        messages: [{ role: 'user', content: 'Reply in JSON: what is 2+2?' }],
        response_format: { type: 'json_object' },
      });
      expect(JSON.parse(jsonMode.choices[0]!.message.content!)).toEqual({ answer: '[echo-small] answer to: Reply in JSON: what is 2+2?' });
      expect(fake.calls[fake.calls.length - 1]!.request!.params?.responseFormat?.type).toBe(common.ResponseFormatType.JSON_OBJECT);

      const structured = await openai.chat.completions.create({
        model: 'switchyard/auto',
        messages: [{ role: 'user', content: 'A city, please' }],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'city', strict: true, schema: { type: 'object', properties: { name: { type: 'string' }, population: { type: 'integer' } }, required: ['name', 'population'] } },
        },
      });
      const value = JSON.parse(structured.choices[0]!.message.content!) as Record<string, unknown>;
      expect(typeof value['name']).toBe('string');
      expect(Number.isInteger(value['population'])).toBe(true);
      const format = fake.calls[fake.calls.length - 1]!.request!.params?.responseFormat;
      expect(format).toMatchObject({ type: common.ResponseFormatType.JSON_SCHEMA, schemaName: 'city', strict: true });
    });

    it('lists models (every page, deduplicated) and retrieves one', async () => {
      const ids = [];
      for await (const model of openai.models.list()) ids.push(model.id);
      expect(ids).toEqual(['switchyard/auto', 'fake/echo-small', 'openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5']);
      expect(fake.calls.filter((c) => c.method === 'listModels').length).toBeGreaterThanOrEqual(2); // the fake pages by 2
      const model = await openai.models.retrieve('openai/gpt-4o-mini');
      expect(model).toMatchObject({ id: 'openai/gpt-4o-mini', object: 'model', owned_by: 'openai' });
      await expect(openai.models.retrieve('nope/nothing')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    });
  });

  describe('Anthropic Messages', () => {
    it('answers a message', async () => {
      const { data, response } = await anthropic.messages
        .create({ model: 'switchyard/auto', max_tokens: 256, system: 'Be brief.', messages: [{ role: 'user', content: 'Name a prime number' }] })
        .withResponse();
      expect(data.type).toBe('message');
      expect(data.content).toEqual([{ type: 'text', text: '[echo-small] answer to: Name a prime number' }]);
      expect(data.stop_reason).toBe('end_turn');
      expect(data.usage.input_tokens).toBeGreaterThan(0);
      expect(data.usage.output_tokens).toBeGreaterThan(0);
      expect(response.headers.get('x-switchyard-route')).toBe('fake/echo-small');
      const requestId = response.headers.get('x-switchyard-request-id');
      expect(response.headers.get('request-id')).toBe(requestId);
      billedOnce(requestId);
      const sent = fake.calls[fake.calls.length - 1]!.request!;
      expect(sent.params?.maxOutputTokens).toBe(256);
      expect(sent.messages[0]?.role).toBe(common.Role.SYSTEM);
    });

    it('streams a message with the full event sequence', async () => {
      const stream = anthropic.messages.stream({ model: 'switchyard/auto', max_tokens: 256, messages: [{ role: 'user', content: 'Describe a river' }] });
      const types: string[] = [];
      let text = '';
      stream.on('streamEvent', (event) => types.push(event.type));
      stream.on('text', (delta) => (text += delta));
      const message = await stream.finalMessage();
      expect(text).toBe('[echo-small] answer to: Describe a river');
      expect(message.content).toEqual([{ type: 'text', text }]);
      expect(message.model).toBe('echo-small'); // announced in the router's response headers
      expect(message.usage.input_tokens).toBeGreaterThan(0);
      expect(message.usage.output_tokens).toBeGreaterThan(0);
      expect(types[0]).toBe('message_start');
      expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
      expect(types.filter((t) => t === 'content_block_start')).toHaveLength(1);
      const requestId = (await stream.withResponse()).response.headers.get('x-switchyard-request-id');
      billedOnce(requestId);
    });

    it('does a tool use round trip, streamed', async () => {
      const tools = [{ name: 'get_weather', description: 'weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } }];
      const first = await anthropic.messages.stream({ model: 'switchyard/auto', max_tokens: 256, tools, messages: [{ role: 'user', content: 'Weather in Rome?' }] }).finalMessage();
      expect(first.stop_reason).toBe('tool_use');
      const use = first.content.find((block) => block.type === 'tool_use');
      expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather' });
      if (use?.type !== 'tool_use') throw new Error('expected tool_use');
      expect(use.input).toHaveProperty('city');
      const second = await anthropic.messages.create({
        model: 'switchyard/auto',
        max_tokens: 256,
        tools,
        messages: [
          { role: 'user', content: 'Weather in Rome?' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny, 25C' }] },
        ],
      });
      expect(second.content[0]).toEqual({ type: 'text', text: '[echo-small] answer using tool result: sunny, 25C' });
    });

    it('lists models in Anthropic shape', async () => {
      const ids = [];
      for await (const model of anthropic.models.list()) ids.push(model.id);
      expect(ids).toContain('anthropic/claude-haiku-4-5');
    });
  });

  describe('errors reach the SDKs as their own typed errors', () => {
    it('a wrong API key is AuthenticationError for both SDKs', async () => {
      const wrongOpenAI = new OpenAI({ baseURL: `${edge.url}/v1`, apiKey: 'sy_0000000000_wrongwrongwrongwrongwrong', maxRetries: 0 });
      const error = await wrongOpenAI.chat.completions.create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((error as InstanceType<typeof OpenAI.AuthenticationError>).message).toContain('API key is not valid');
      expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('api_key_invalid');

      const wrongAnthropic = new Anthropic({ baseURL: edge.url, apiKey: 'sy_0000000000_wrongwrongwrongwrongwrong', maxRetries: 0 });
      const anthropicError = await wrongAnthropic.messages.create({ model: 'switchyard/auto', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(anthropicError).toBeInstanceOf(Anthropic.AuthenticationError);
      expect((anthropicError as InstanceType<typeof Anthropic.AuthenticationError>).type).toBe('authentication_error');
      expect((anthropicError as Error).message).toContain('API key is not valid');
    });

    it('an upstream rate limit is RateLimitError with retry-after from RetryInfo', async () => {
      const error = await openai.chat.completions.create({ model: 'fail/rate-limited', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      const rateLimit = error as InstanceType<typeof OpenAI.RateLimitError>;
      expect(rateLimit.message).toContain('rate limited upstream');
      expect(rateLimit.headers?.get('retry-after')).toBe('2');
      expect(rateLimit.headers?.get('retry-after-ms')).toBe('2000');
      expect(rateLimit.headers?.get('x-should-retry')).toBe('true');

      const anthropicError = await anthropic.messages.create({ model: 'fail/rate-limited', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
      expect((anthropicError as InstanceType<typeof Anthropic.RateLimitError>).type).toBe('rate_limit_error');
    });

    it('a spent budget is RateLimitError that says not to retry', async () => {
      const error = (await openai.chat.completions.create({ model: 'fail/budget', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error.code).toBe('budget_exhausted');
      expect(error.type).toBe('insufficient_quota');
      expect(error.message).toContain('monthly budget');
      expect(error.headers?.get('x-should-retry')).toBe('false');
    });

    it('router validation is BadRequestError naming the field', async () => {
      const error = (await openai.chat.completions.create({ model: 'fail/unknown-model', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.param).toBe('model');
      expect(error.message).toContain('unknown model');
    });

    it('edge validation is BadRequestError in each API shape, and the router is not called', async () => {
      const callsBefore = fake.calls.length;
      const error = (await openai.chat.completions.create({ model: 'switchyard/auto', messages: [] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.param).toBe('messages');
      const badTemperature = (await openai.chat.completions
        .create({ model: 'switchyard/auto', temperature: 7, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
      expect(badTemperature.param).toBe('temperature');
      expect(badTemperature.message).toContain("'temperature'");

      const anthropicError = await anthropic.messages
        .create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'hi' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming)
        .catch((e: unknown) => e);
      expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
      expect((anthropicError as Error).message).toContain('max_tokens');
      expect(fake.calls.length).toBe(callsBefore);
    });

    it('maps permission, unavailable and internal failures', async () => {
      const ask = (model: string) => openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(await ask('fail/permission')).toBeInstanceOf(OpenAI.PermissionDeniedError);
      const unavailable = (await ask('fail/unavailable')) as InstanceType<typeof OpenAI.InternalServerError>;
      expect(unavailable).toBeInstanceOf(OpenAI.InternalServerError);
      expect(unavailable.status).toBe(503);
      expect((await ask('fail/deadline')) as InstanceType<typeof OpenAI.APIError>).toMatchObject({ status: 504 });
      const internal = (await ask('fail/internal')) as InstanceType<typeof OpenAI.InternalServerError>;
      expect(internal.status).toBe(500);
      expect(internal.message).not.toContain('secret');
      const overloaded = await anthropic.messages.create({ model: 'fail/unavailable', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(overloaded).toMatchObject({ status: 503, type: 'overloaded_error' });
    });

    it('a stream that fails before its first event is a proper HTTP error', async () => {
      const error = await openai.chat.completions
        .create({ model: 'fail/rate-limited', messages: [{ role: 'user', content: 'hi' }], stream: true })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      const anthropicError = await anthropic.messages
        .create({ model: 'fail/budget', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], stream: true })
        .catch((e: unknown) => e);
      expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
    });

    it('a stream that breaks after it started ends with the API error event, which the SDKs throw', async () => {
      const stream = await openai.chat.completions.create({ model: 'fail/mid-stream', messages: [{ role: 'user', content: 'hi' }], stream: true });
      const seen: string[] = [];
      const error = await (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      })().catch((e: unknown) => e);
      expect(seen.join('')).toBe('partial ');
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as Error).message).toContain('stream broke');

      const anthropicStream = anthropic.messages.stream({ model: 'fail/mid-stream', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
      const anthropicError = await anthropicStream.finalMessage().catch((e: unknown) => e);
      expect(anthropicError).toBeInstanceOf(Anthropic.APIError);
      expect((anthropicError as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
      expect((anthropicError as Error).message).toContain('stream broke');
    });
  });

  describe('no request field may name an upstream', () => {
    it('refuses URL-like fields the API does not define, naming them', async () => {
      const callsBefore = fake.calls.length;
      for (const extra of [{ base_url: 'http://169.254.169.254/' }, { api_base: 'https://evil.example' }, { baseURL: 'http://x' }, { provider_options: { endpoint: 'x' } }, { target: 'http://10.0.0.1:8080/v1' }]) {
        const error = (await openai.chat.completions
          .create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'hi' }], ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming)
          .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
        expect(error).toBeInstanceOf(OpenAI.BadRequestError);
        expect(error.message).toContain('never takes an upstream URL');
        expect(error.param).toBeTruthy();
      }
      const anthropicError = await anthropic.messages
        .create({ model: 'switchyard/auto', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], mcp_servers: [{ type: 'url', url: 'https://evil.example', name: 'x' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming)
        .catch((e: unknown) => e);
      expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
      expect(fake.calls.length).toBe(callsBefore);
    });

    it('ignores other unknown fields: they have no effect on the router request', async () => {
      await openai.chat.completions.create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'plain' }] });
      const plain = fake.calls[fake.calls.length - 1]!.request!;
      await openai.chat.completions.create({
        model: 'switchyard/auto',
        messages: [{ role: 'user', content: 'plain' }],
        frequency_penalty: 0.5,
        metadata: { note: 'https://docs.example' },
        some_future_flag: true,
      } as OpenAI.ChatCompletionCreateParamsNonStreaming);
      const extra = fake.calls[fake.calls.length - 1]!.request!;
      expect({ ...extra, context: undefined }).toEqual({ ...plain, context: undefined });
    });
  });

  describe('caller context', () => {
    it('passes W3C traceparent and tracestate through, not baggage, and reports the trace id', async () => {
      const { response } = await openai.chat.completions
        .create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'trace me' }] }, { headers: { traceparent: TRACEPARENT, tracestate: 'vendor=1', baggage: 'team=admin' } })
        .withResponse();
      const call = fake.calls[fake.calls.length - 1]!;
      expect(call.traceparent).toBe(TRACEPARENT);
      expect(call.tracestate).toBe('vendor=1');
      expect(call.baggage).toBeUndefined();
      expect(response.headers.get('x-switchyard-trace-id')).toBe(TRACE_ID);
    });

    it('drops an invalid traceparent', async () => {
      await openai.chat.completions.create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'x' }] }, { headers: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01', tracestate: 'a=b' } });
      const call = fake.calls[fake.calls.length - 1]!;
      expect(call.traceparent).toBeUndefined();
      expect(call.tracestate).toBeUndefined();
    });

    it('uses Idempotency-Key as the request id and takes routing hints from headers', async () => {
      const { response } = await openai.chat.completions
        .create(
          { model: 'switchyard/auto', messages: [{ role: 'user', content: 'x' }], user: 'user-123' },
          {
            headers: {
              'Idempotency-Key': 'order-42',
              'x-switchyard-project': 'search',
              'x-switchyard-feature-tags': 'feature:summaries, beta',
              'x-switchyard-quality-target': '0.9',
              'x-switchyard-max-cost-nanos-usd': '5000000',
              'x-switchyard-disable-fallback': 'true',
            },
          },
        )
        .withResponse();
      expect(response.headers.get('x-switchyard-request-id')).toBe('order-42');
      const sent = fake.calls[fake.calls.length - 1]!.request!;
      expect(sent.context).toMatchObject({ requestId: 'order-42', project: 'search', featureTags: ['feature:summaries', 'beta'], endUserId: 'user-123' });
      expect(sent.routing).toMatchObject({ qualityTarget: 0.9, maxCostNanosUsd: 5000000n, disableFallback: true });
      billedOnce('order-42');
      const bad = (await openai.chat.completions
        .create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-switchyard-quality-target': 'high' } })
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
      expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
      expect(bad.param).toBe('x-switchyard-quality-target');
    });

    it('cancels the router call when the caller disconnects (unary and stream)', async () => {
      const unary = new AbortController();
      const pending = openai.chat.completions.create({ model: 'slow', messages: [{ role: 'user', content: 'x' }] }, { signal: unary.signal }).catch((e: unknown) => e);
      await eventually(() => fake.calls.some((c) => c.request?.model === 'slow' && c.method === 'generate'));
      unary.abort();
      expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
      const unaryCall = fake.calls.find((c) => c.request?.model === 'slow' && c.method === 'generate')!;
      await eventually(() => unaryCall.aborted);

      const streaming = new AbortController();
      const stream = await openai.chat.completions.create({ model: 'slow', messages: [{ role: 'user', content: 'x' }], stream: true }, { signal: streaming.signal });
      const streamCall = fake.calls.find((c) => c.request?.model === 'slow' && c.method === 'streamGenerate')!;
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content === 'waiting') break; // leaving the loop aborts the HTTP request
      }
      await eventually(() => streamCall.aborted);
      expect(fake.billed.some((row) => row.model.endsWith('/slow'))).toBe(false);
    });
  });

  describe('plain HTTP', () => {
    it('answers health, unknown paths and wrong methods in the OpenAI error shape', async () => {
      expect((await fetch(`${edge.url}/healthz`)).status).toBe(200);
      const missing = await fetch(`${edge.url}/v1/embeddings`, { method: 'POST', body: '{}' });
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
      const wrongMethod = await fetch(`${edge.url}/v1/chat/completions`);
      expect(wrongMethod.status).toBe(405);
      const anthropicMissing = await fetch(`${edge.url}/v1/messages/batches`, { method: 'POST', body: '{}' });
      expect(await anthropicMissing.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    });

    it('refuses a body that is not JSON or is too large', async () => {
      const notJson = await fetch(`${edge.url}/v1/chat/completions`, { method: 'POST', body: '{"model":', headers: { authorization: `Bearer ${fake.apiKey}` } });
      expect(notJson.status).toBe(400);
      const calls = fake.calls.length;
      const notUtf8 = await fetch(`${edge.url}/v1/chat/completions`, {
        method: 'POST',
        body: Buffer.concat([Buffer.from('{"model":"m","messages":[{"role":"user","content":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}]}')]),
        headers: { authorization: `Bearer ${fake.apiKey}` },
      });
      expect(notUtf8.status).toBe(400);
      expect(((await notUtf8.json()) as { error: { message: string } }).error.message).toMatch(/not valid UTF-8/);
      expect(fake.calls.length).toBe(calls);
      const small = await startHttpEdge({ router: routerClient, maxBodyBytes: 100, logger: createLogger({ service: 'http-edge', level: 'silent' }) });
      const big = await fetch(`${small.url}/v1/messages`, { method: 'POST', body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'y'.repeat(500) }] }) });
      expect(big.status).toBe(413);
      expect(await big.json()).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
      await small.close(100);
    });
  });
});

describe('HTTP edge when the router does not announce the route before a stream', () => {
  let fake: FakeRouter;
  let routerClient: RouterServiceClient;
  let edge: RunningHttpEdge;

  beforeAll(async () => {
    fake = await startFakeRouter({ announceRoute: false });
    routerClient = createRouterClient(fake.address);
    edge = await startHttpEdge({ router: routerClient, logger: createLogger({ service: 'http-edge', level: 'silent' }) });
  });
  afterAll(async () => {
    await edge.close(200);
    routerClient.close();
    await fake.close();
  });

  it('names the requested model until the final chunk, which carries the route', async () => {
    const openai = new OpenAI({ baseURL: `${edge.url}/v1`, apiKey: fake.apiKey, maxRetries: 0 });
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'x' }], stream: true })
      .withResponse();
    expect(response.headers.get('x-switchyard-route')).toBeNull();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.model).toBe('switchyard/auto');
    const last = chunks[chunks.length - 1] as unknown as { model: string; switchyard: { route: { provider: string; model: string } } };
    expect(last.model).toBe('echo-small');
    expect(last.switchyard.route).toMatchObject({ provider: 'fake', model: 'echo-small' });
  });
});
