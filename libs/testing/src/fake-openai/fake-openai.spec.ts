import OpenAI from 'openai';
import { startFakeOpenAI } from './fake-openai';
import type { FakeUpstream } from '../fake-upstream';

describe('fake OpenAI upstream, driven by the official SDK', () => {
  let fake: FakeUpstream;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-fake' });
    // logLevel off: the malformed_sse test would otherwise print the SDK's parse error.
    client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'sk-fake', maxRetries: 0, timeout: 5_000, logLevel: 'off' });
  });

  afterEach(() => {
    fake.clearFaults();
    fake.setTiming({ latencyMs: 0, chunkDelayMs: 0 });
  });

  afterAll(async () => {
    await fake.close();
  });

  it('answers a unary chat completion with the full body and realistic usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is the capital of France, and why is it famous?' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(typeof completion.created).toBe('number');
    const choice = completion.choices[0];
    expect(choice.index).toBe(0);
    expect(choice.finish_reason).toBe('stop');
    expect(choice.logprobs).toBeNull();
    expect(choice.message).toMatchObject({ role: 'assistant', refusal: null });
    expect(choice.message.content).toBe('[gpt-4o-mini] answer to: What is the capital of France, and why i');
    // 3 priming + 2 messages × (3 + role + text): a count, not a constant.
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(20);
    expect(completion.usage?.prompt_tokens).toBeLessThan(40);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(5);
    const usage = completion.usage;
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBe(0);
  });

  it('streams deltas, a finish chunk and a final usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Tell me about streaming responses please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('[gpt-4o] answer to: Tell me about streaming responses please');
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBeGreaterThan(3);
    const finish = chunks.find((chunk) => chunk.choices[0]?.finish_reason);
    expect(finish?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage?.completion_tokens).toBeGreaterThan(0);
    expect(last.usage?.total_tokens).toBe((last.usage?.prompt_tokens ?? 0) + (last.usage?.completion_tokens ?? 0));
  });

  it('calls a tool when tool_choice is required, and answers after the tool result', async () => {
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 }, unit: { enum: ['c', 'f'] } },
            required: ['city', 'days', 'unit'],
            additionalProperties: false,
          },
        },
      },
    ];
    const first = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools,
      tool_choice: 'required',
    });
    const call = first.choices[0].message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(first.choices[0]?.message.content).toBeNull();
    expect(call.id).toMatch(/^call_/);
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'example city', days: 1, unit: 'c' });

    const second = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        first.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 C' },
      ],
      tools,
    });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toBe('[gpt-4o] answer using tool result: sunny, 21 C');
  });

  it('streams a tool call as id/name first, then argument pieces', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'please use lookup_order for order 42' }],
      tools: [
        {
          type: 'function',
          function: { name: 'lookup_order', parameters: { type: 'object', properties: { order_id: { type: 'string' } } } },
        },
      ],
      stream: true,
    });
    const pieces: OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      pieces.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish ??= chunk.choices[0]?.finish_reason;
    }
    expect(pieces[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'lookup_order', arguments: '' } });
    expect(pieces.length).toBeGreaterThan(2);
    const args = pieces.map((piece) => piece.function?.arguments ?? '').join('');
    expect(JSON.parse(args)).toEqual({ order_id: 'example order_id' });
    expect(finish).toBe('tool_calls');
  });

  it('does not call a tool under tool_choice auto unless the user names it', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Just say hi' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
    });
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
    expect(completion.choices[0]?.finish_reason).toBe('stop');
  });

  it('returns valid JSON for json_object and a schema-satisfying object for json_schema', async () => {
    const jsonObject = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Reply in JSON' }],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(jsonObject.choices[0].message.content ?? '')).toEqual({ answer: '[gpt-4o] answer to: Reply in JSON' });

    const jsonSchema = await client.chat.completions.parse({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Extract the person' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'person',
          strict: true,
          schema: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              age: { type: 'integer' },
              tags: { type: 'array', items: { type: 'string' } },
              address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            },
            required: ['name', 'age', 'tags', 'address'],
            additionalProperties: false,
          },
        },
      },
    });
    expect(jsonSchema.choices[0]?.message.parsed).toEqual({
      name: 'example name',
      age: 1,
      tags: ['example tags'],
      address: { city: 'example city' },
    });
  });

  it('truncates at max_completion_tokens with finish_reason length', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Write a long essay about the sea and the sky' }],
      max_completion_tokens: 3,
    });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(3);
    expect(completion.choices[0]?.message.content).toBe('[gpt-');
  });

  it('lists models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['gpt-4o', 'gpt-4o-mini', 'gpt-4.1-mini']);
    expect((await client.models.retrieve('gpt-4o')).object).toBe('model');
  });

  it('rejects a wrong key with 401 in OpenAI error shape', async () => {
    const stranger = new OpenAI({ baseURL: fake.baseURL, apiKey: 'sk-wrong', maxRetries: 0 });
    const error = await stranger.models.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      param: null,
    });
  });

  describe('faults', () => {
    const ask = (headers?: Record<string, string>) =>
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { headers });

    it('rate_limit → RateLimitError with retry-after visible', async () => {
      fake.setFaults([{ kind: 'rate_limit', times: 1, retryAfterSeconds: 7 }]);
      const error = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error.status).toBe(429);
      expect(error.headers?.get('retry-after')).toBe('7');
      expect(error.code).toBe('rate_limit_exceeded');
      await expect(ask()).resolves.toBeDefined();
    });

    it.each([
      ['server_error', 500],
      ['unavailable', 503],
      ['overloaded', 503],
    ] as const)('%s → InternalServerError %d', async (kind, status) => {
      fake.setFaults([{ kind, times: 1 }]);
      const error = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.InternalServerError>;
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect(error.status).toBe(status);
    });

    it('applies a fault to the next N requests only, in plan order', async () => {
      fake.setFaults([
        { kind: 'unavailable', times: 2 },
        { kind: 'rate_limit', times: 1 },
      ]);
      const statuses: Array<number | undefined> = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(await ask().then(
          () => 200,
          (e: InstanceType<typeof OpenAI.APIError>) => e.status,
        ));
      }
      expect(statuses).toEqual([503, 503, 429, 200]);
      expect(fake.pendingFaults).toEqual([]);
    });

    it('wrong_key → AuthenticationError; bad_request → BadRequestError with the message', async () => {
      await expect(ask({ 'x-fake-fault': 'wrong_key' })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
      fake.setFaults([{ kind: 'bad_request', times: 1, message: 'context too long' }]);
      const error = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.message).toContain('context too long');
    });

    it('connection_reset → APIConnectionError', async () => {
      const error = await ask({ 'x-fake-fault': 'connection_reset' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(fake.requests[fake.requests.length - 1]?.outcome).toBe('server_reset');
    });

    it('stream_cut → the stream iterator throws after the first chunks', async () => {
      const stream = await client.chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'a long enough question to stream' }], stream: true },
        { headers: { 'x-fake-fault': 'stream_cut;afterChunks=3' } },
      );
      const received: string[] = [];
      const consume = async () => {
        for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
      };
      await expect(consume()).rejects.toThrow();
      expect(received).toHaveLength(3);
    });

    it('malformed_sse → the stream iterator throws a JSON error', async () => {
      const stream = await client.chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello there' }], stream: true },
        { headers: { 'x-fake-fault': 'malformed_sse' } },
      );
      const consume = async () => {
        for await (const _chunk of stream) {
          // drain
        }
      };
      await expect(consume()).rejects.toThrow(SyntaxError);
    });

    it('slow_first_byte and latencyMs delay the first byte; slow_stream spaces the chunks', async () => {
      fake.setTiming({ latencyMs: 100 });
      let started = Date.now();
      await ask();
      expect(Date.now() - started).toBeGreaterThanOrEqual(95);

      fake.setTiming({ latencyMs: 0 });
      started = Date.now();
      await ask({ 'x-fake-fault': 'slow_first_byte;delayMs=150' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(145);

      fake.setFaults([{ kind: 'slow_stream', delayMs: 30 }]);
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'one two three' }],
        stream: true,
      });
      const arrivals: number[] = [];
      for await (const _chunk of stream) arrivals.push(Date.now());
      // role chunk, 6 word deltas, finish chunk: 7 gaps of ≥ 30 ms.
      expect((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(7 * 28);
    });

    it('rejects an unknown x-fake-fault name with 400', async () => {
      await expect(ask({ 'x-fake-fault': 'gremlins' })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    });

    it('a fault limited to one model leaves other models alone', async () => {
      fake.setFaults([{ kind: 'unavailable', model: 'gpt-4o-mini' }]);
      await expect(ask()).resolves.toBeDefined();
      await expect(
        client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      ).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    });
  });

  it('records the request, and marks a call aborted by the client', async () => {
    fake.setTiming({ chunkDelayMs: 40 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'cancel me part way through please' }], stream: true },
      { signal: controller.signal, headers: { 'x-trace': 'abort-test' } },
    );
    for await (const _chunk of stream) {
      controller.abort();
    }
    const recorded = await fake.waitForRequest((request) => request.headers['x-trace'] === 'abort-test' && request.outcome !== 'pending');
    expect(recorded).toMatchObject({ method: 'POST', path: '/v1/chat/completions', clientAborted: true, outcome: 'client_closed' });
    expect(recorded.body).toMatchObject({ model: 'gpt-4o', stream: true });
    expect(recorded.headers.authorization).toBe('Bearer sk-fake');
  });
});
