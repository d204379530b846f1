import Anthropic from '@anthropic-ai/sdk';
import { startFakeAnthropic } from './fake-anthropic';
import type { FakeUpstream } from '../fake-upstream';

describe('fake Anthropic upstream, driven by the official SDK', () => {
  let fake: FakeUpstream;
  let client: Anthropic;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: 'sk-ant-fake' });
    client = new Anthropic({ baseURL: fake.baseURL, apiKey: 'sk-ant-fake', maxRetries: 0, timeout: 5_000, logLevel: 'off' });
  });

  afterEach(() => {
    fake.clearFaults();
    fake.setTiming({ latencyMs: 0, chunkDelayMs: 0 });
  });

  afterAll(async () => {
    await fake.close();
  });

  it('answers a message with content, stop reason and usage', async () => {
    const message = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 256,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Name three moons of Jupiter, please.' }],
    });
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5',
      stop_reason: 'end_turn',
      stop_sequence: null,
      content: [{ type: 'text', text: '[claude-haiku-4-5] answer to: Name three moons of Jupiter, please.' }],
    });
    expect(message.id).toMatch(/^msg_/);
    expect(message.usage.input_tokens).toBeGreaterThan(10);
    expect(message.usage.output_tokens).toBeGreaterThan(5);
    expect(message.usage.cache_read_input_tokens).toBe(0);
    expect(message.usage.cache_creation_input_tokens).toBe(0);
  });

  it('streams the full event sequence, and finalMessage() carries the usage', async () => {
    const stream = client.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Explain server-sent events in one line' }],
    });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const message = await stream.finalMessage();

    expect(types[0]).toBe('message_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(types.filter((type) => type === 'content_block_delta').length).toBeGreaterThan(3);
    expect(message.content).toEqual([
      { type: 'text', text: '[claude-sonnet-4-6] answer to: Explain server-sent events in one line' },
    ]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.output_tokens).toBeGreaterThan(5);
    expect(message.usage.input_tokens).toBeGreaterThan(5);
  });

  it('sends every SSE message with an event line, including a ping', async () => {
    const response = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-fake', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const frames = (await response.text()).split('\n\n').filter(Boolean);
    expect(frames.every((frame) => /^event: \w+\ndata: \{/.test(frame))).toBe(true);
    expect(frames.some((frame) => frame.startsWith('event: ping'))).toBe(true);
  });

  it('uses a tool (non-stream and streamed input_json_delta)', async () => {
    const tools: Anthropic.Tool[] = [
      {
        name: 'get_stock_price',
        description: 'Price of a ticker',
        input_schema: { type: 'object', properties: { ticker: { type: 'string' } }, required: ['ticker'] },
      },
    ];
    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      tools,
      tool_choice: { type: 'tool', name: 'get_stock_price' },
      messages: [{ role: 'user', content: 'How is ACME doing?' }],
    });
    expect(message.stop_reason).toBe('tool_use');
    const toolUse = message.content[0] as Anthropic.ToolUseBlock;
    expect(toolUse).toMatchObject({ type: 'tool_use', name: 'get_stock_price', input: { ticker: 'example ticker' } });
    expect(toolUse.id).toMatch(/^toolu_/);

    const stream = client.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      tools,
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'How is ACME doing?' }],
    });
    const deltas: string[] = [];
    stream.on('streamEvent', (event) => {
      if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta') deltas.push(event.delta.partial_json);
    });
    const streamed = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(1);
    expect(streamed.content[0]).toMatchObject({ type: 'tool_use', input: { ticker: 'example ticker' } });

    const answer = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      tools,
      messages: [
        { role: 'user', content: 'How is ACME doing?' },
        { role: 'assistant', content: message.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '123.45 USD' }] },
      ],
    });
    expect(answer.content).toEqual([{ type: 'text', text: '[claude-sonnet-4-6] answer using tool result: 123.45 USD' }]);
  });

  it('stops at max_tokens and at a stop sequence', async () => {
    const short = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 4,
      messages: [{ role: 'user', content: 'A long story about dragons' }],
    });
    expect(short.stop_reason).toBe('max_tokens');
    expect(short.usage.output_tokens).toBe(4);

    const stopped = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      stop_sequences: ['answer'],
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(stopped).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'answer' });
    expect(stopped.content).toEqual([{ type: 'text', text: '[claude-haiku-4-5] ' }]);
  });

  it('returns schema-shaped JSON for output_config.format', async () => {
    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Extract the city' }],
      output_config: {
        format: { type: 'json_schema', schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      },
    });
    const text = (message.content[0] as Anthropic.TextBlock).text;
    expect(JSON.parse(text)).toEqual({ city: 'example city' });
  });

  it('lists models and counts tokens', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['claude-sonnet-4-6', 'claude-haiku-4-5']);
    const counted = await client.messages.countTokens({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'count these tokens' }],
    });
    expect(counted.input_tokens).toBeGreaterThan(3);
  });

  it('accepts x-api-key as well as Bearer, and rejects a wrong key with 401', async () => {
    const withHeader = new Anthropic({
      baseURL: fake.baseURL,
      apiKey: null,
      defaultHeaders: { 'x-api-key': 'sk-ant-fake', authorization: null },
      maxRetries: 0,
    });
    await expect(withHeader.models.list()).resolves.toBeDefined();
    expect(fake.requests[fake.requests.length - 1]?.headers.authorization).toBeUndefined();

    const stranger = new Anthropic({ baseURL: fake.baseURL, apiKey: 'sk-ant-wrong', maxRetries: 0 });
    const error = (await stranger.models.list().catch((e: unknown) => e)) as InstanceType<typeof Anthropic.AuthenticationError>;
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(error.error).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
  });

  describe('faults', () => {
    const ask = (headers?: Record<string, string>) =>
      client.messages.create(
        { model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] },
        { headers },
      );

    it('overloaded → 529 OverloadedError with overloaded_error', async () => {
      fake.setFaults([{ kind: 'overloaded', times: 1 }]);
      const error = (await ask().catch((e: unknown) => e)) as InstanceType<typeof Anthropic.OverloadedError>;
      expect(error).toBeInstanceOf(Anthropic.OverloadedError);
      expect(error).toBeInstanceOf(Anthropic.InternalServerError);
      expect(error.status).toBe(529);
      expect(error.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
      await expect(ask()).resolves.toBeDefined();
    });

    it('rate_limit → RateLimitError with retry-after; unavailable → 503; server_error → 500', async () => {
      const limited = (await ask({ 'x-fake-fault': 'rate_limit;retryAfterSeconds=3' }).catch((e: unknown) => e)) as InstanceType<
        typeof Anthropic.RateLimitError
      >;
      expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
      expect(limited.headers?.get('retry-after')).toBe('3');
      expect(limited.error).toMatchObject({ error: { type: 'rate_limit_error' } });
      const unavailable = (await ask({ 'x-fake-fault': 'unavailable' }).catch((e: unknown) => e)) as InstanceType<
        typeof Anthropic.InternalServerError
      >;
      expect(unavailable.status).toBe(503);
      await expect(ask({ 'x-fake-fault': 'server_error' })).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    });

    it('wrong_key → AuthenticationError; connection_reset → APIConnectionError', async () => {
      await expect(ask({ 'x-fake-fault': 'wrong_key' })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
      await expect(ask({ 'x-fake-fault': 'connection_reset' })).rejects.toBeInstanceOf(Anthropic.APIConnectionError);
    });

    it('stream_cut → the stream throws and finalMessage() rejects', async () => {
      fake.setFaults([{ kind: 'stream_cut', times: 1, afterChunks: 4 }]);
      const stream = client.messages.stream({
        model: 'claude-haiku-4-5',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'a question long enough to stream' }],
      });
      stream.on('error', () => undefined);
      await expect(stream.finalMessage()).rejects.toThrow();
      expect(fake.requests[fake.requests.length - 1]?.faults).toEqual(['stream_cut']);
    });

    it('malformed_sse → the raw stream iterator throws', async () => {
      const stream = await client.messages.create(
        { model: 'claude-haiku-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hello again' }] },
        { headers: { 'x-fake-fault': 'malformed_sse;afterChunks=3' } },
      );
      const consume = async () => {
        for await (const _event of stream) {
          // drain
        }
      };
      await expect(consume()).rejects.toThrow(SyntaxError);
    });
  });

  it('marks a stream the client aborts as aborted', async () => {
    fake.setTiming({ chunkDelayMs: 40 });
    const stream = client.messages.stream(
      { model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'please stop me early' }] },
      { headers: { 'x-trace': 'anthropic-abort' } },
    );
    stream.on('error', () => undefined);
    stream.on('text', () => stream.abort());
    await stream.done().catch(() => undefined);
    const recorded = await fake.waitForRequest(
      (request) => request.headers['x-trace'] === 'anthropic-abort' && request.outcome !== 'pending',
    );
    expect(recorded.clientAborted).toBe(true);
    expect(recorded.headers.authorization).toBe('Bearer sk-ant-fake');
  });
});
