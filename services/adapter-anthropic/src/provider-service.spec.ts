import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { common } from '@switchyard/contracts';
import { createLogger, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { createProviderClient, SwitchyardError, type ProviderServiceClient } from '@switchyard/sdk';
import { startFakeAnthropic, type FakeUpstream } from '@switchyard/testing';
import { startAnthropicAdapter } from './anthropic-adapter';
import { anthropicAdapterConfigSchema } from './config';
import { JSON_OBJECT_INSTRUCTION } from './translate/request';

const SECRET = 'sk-ant-test-0123456789SECRET';
const PROMPT = 'Tell me about the conformance of adapters in some detail, please.';
const user = (text: string) => ({ role: common.Role.USER, parts: [{ kind: { case: 'text' as const, value: text } }] });

describe('adapter-anthropic over gRPC against the fake Anthropic', () => {
  let fake: FakeUpstream;
  let adapter: RunningGrpcServer;
  let client: ProviderServiceClient;
  const logLines: string[] = [];

  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: SECRET });
    const config = anthropicAdapterConfigSchema.parse({
      upstream: { baseUrl: fake.baseURL, timeoutMs: 10_000 },
      defaultMaxOutputTokens: 100_000,
      models: [
        { id: 'claude-haiku-4-5', upstreamModel: 'claude-haiku-4-5-20251001' },
        { id: 'claude-json', upstreamModel: 'claude-haiku-4-5', capabilities: { jsonOutput: true, maxOutputTokens: 2048 } },
      ],
    });
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    adapter = await startAnthropicAdapter({ config, apiKey: SECRET, logger: createLogger({ service: 'adapter-anthropic', level: 'debug', destination }) });
    client = createProviderClient(adapter.address);
  });
  afterAll(async () => {
    client.close();
    await adapter.shutdown(0);
    await fake.close();
  });
  beforeEach(() => {
    fake.clearFaults();
    fake.clearRequests();
  });
  const lastBody = () => fake.requests.filter((r) => r.method === 'POST').at(-1)?.body as Record<string, unknown>;

  it("sends the upstream model name, a default max_tokens capped at the model's maximum, and reports the snapshot that answered", async () => {
    const response = await client.generate({ model: 'claude-json', messages: [user('hi')], params: { temperature: 0.3 } });
    expect(lastBody()).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 2048 });
    expect(lastBody()).not.toHaveProperty('temperature');
    expect(response.responseModel).toBe('claude-haiku-4-5');
    await client.generate({ model: 'claude-haiku-4-5', messages: [user('hi')] });
    expect(lastBody()).toMatchObject({ model: 'claude-haiku-4-5-20251001', max_tokens: 64_000 });
  });

  it('refuses JSON_OBJECT on a model without native JSON mode, and asks through the system prompt where the operator allowed it', async () => {
    const json = { responseFormat: { type: common.ResponseFormatType.JSON_OBJECT } };
    await expect(client.generate({ model: 'claude-haiku-4-5', messages: [user('x')], params: json })).rejects.toMatchObject({ codeName: 'INVALID_ARGUMENT' });
    expect(fake.requests).toHaveLength(0);
    await client.generate({ model: 'claude-json', messages: [user('x')], params: json });
    expect(lastBody()['system']).toBe(JSON_OBJECT_INSTRUCTION);
  });

  it('a stream killed mid-way ends with UNAVAILABLE and PartialUsage: exact input from message_start, estimated output', async () => {
    fake.setFaults([{ kind: 'stream_cut', afterChunks: 6, times: 1 }]);
    let delivered = '';
    let caught: unknown;
    try {
      for await (const event of client.streamGenerate({ model: 'claude-haiku-4-5', messages: [user(PROMPT)] })) {
        if (event.event.case === 'delta') delivered += event.event.value.text;
      }
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SwitchyardError);
    const error = caught as SwitchyardError;
    expect(error.codeName).toBe('UNAVAILABLE');
    const partial = error.details.partialUsage;
    expect(partial?.estimated).toBe(true);
    expect(partial?.usage?.estimated).toBe(true);
    expect(partial?.deliveredCharacters).toBe(BigInt(delivered.length));
    expect(delivered.length).toBeGreaterThan(0);
    // The fake counts input tokens the same way for every request, so a complete stream tells the exact number.
    const events = [];
    for await (const event of client.streamGenerate({ model: 'claude-haiku-4-5', messages: [user(PROMPT)] })) events.push(event);
    const final = events.at(-1)?.event;
    expect(final?.case === 'final' && final.value.usage?.inputTokens).toBe(partial?.usage?.inputTokens);
    expect(final?.case === 'final' && final.value.usage?.estimated).toBe(false);
    expect(partial?.usage?.outputTokens).toBeGreaterThan(0n);
  });

  it('never logs the provider key or prompt text', async () => {
    fake.setFaults([{ kind: 'wrong_key', times: 1 }]);
    await expect(client.generate({ model: 'claude-haiku-4-5', messages: [user(PROMPT)] })).rejects.toMatchObject({ codeName: 'FAILED_PRECONDITION' });
    expect(logLines.join('')).not.toContain(SECRET);
    expect(logLines.join('')).not.toContain('conformance of adapters');
  });
});

describe('adapter-anthropic against an upstream whose stream reports no output usage', () => {
  // A minimal Anthropic-wire server (as some compatible proxies behave): message_start, text, message_stop,
  // and no message_delta, so the output count is never reported.
  const events = [
    { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'proxy-model', content: [], usage: { input_tokens: 12, output_tokens: 1 } } },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello there, friend.' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'message_stop' },
  ];
  let upstream: Server;
  let adapter: RunningGrpcServer;
  let client: ProviderServiceClient;

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const event of events) response.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      response.end();
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    const config = anthropicAdapterConfigSchema.parse({
      upstream: { baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 10_000 },
      models: [{ id: 'proxy-model', upstreamModel: 'proxy-model' }],
    });
    adapter = await startAnthropicAdapter({ config, apiKey: SECRET, logger: createLogger({ service: 'adapter-anthropic', level: 'silent' }) });
    client = createProviderClient(adapter.address);
  });
  afterAll(async () => {
    client.close();
    await adapter.shutdown(0);
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('keeps the reported input, estimates the output and marks the final usage estimated', async () => {
    const received = [];
    for await (const event of client.streamGenerate({ model: 'proxy-model', messages: [user('hi')] })) received.push(event);
    const final = received.at(-1)?.event;
    expect(final?.case).toBe('final');
    if (final?.case !== 'final') return;
    expect(final.value.usage).toMatchObject({ inputTokens: 12n, outputTokens: 5n, estimated: true }); // "Hello there, friend." in cl100k
    expect(final.value.usageEstimated).toBe(true);
  });
});
