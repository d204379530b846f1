import { Writable } from 'node:stream';
import { status as Status } from '@grpc/grpc-js';
import { common } from '@switchyard/contracts';
import { createLogger, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { defaultPriceCatalog } from '@switchyard/pricing';
import { createProviderClient, SwitchyardError, type ProviderServiceClient } from '@switchyard/sdk';
import { startFakeOpenAI, type FakeUpstream } from '@switchyard/testing';
import { openAIAdapterConfigSchema } from './config';
import { startOpenAIAdapter } from './openai-adapter';

const SECRET = 'sk-test-0123456789abcdefSECRET';
const user = (text: string) => ({ role: common.Role.USER, parts: [{ kind: { case: 'text' as const, value: text } }] });

describe('adapter-openai over gRPC against the fake OpenAI', () => {
  let fake: FakeUpstream;
  let adapter: RunningGrpcServer;
  let client: ProviderServiceClient;
  const logLines: string[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenAI({
      apiKey: SECRET,
      respond: (request) => (request.messages.some((m) => m.text.includes('scripted usage')) ? { text: 'Scripted.', outputTokens: 42 } : undefined),
    });
    const config = openAIAdapterConfigSchema.parse({
      upstream: { baseUrl: fake.baseURL, timeoutMs: 1500 },
      models: [{ id: 'gpt-4o-mini' }, { id: 'text-only', upstreamModel: 'gpt-4o-mini', capabilities: { vision: false, tools: false } }],
    });
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    adapter = await startOpenAIAdapter({ config, apiKey: SECRET, logger: createLogger({ service: 'adapter-openai', level: 'debug', destination }) });
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

  const failure = async (call: Promise<unknown>) => {
    try {
      await call;
    } catch (error) {
      if (error instanceof SwitchyardError) return error;
      throw error;
    }
    throw new Error('expected the call to fail');
  };

  it('reports usage exactly as the upstream does, and the model it says answered', async () => {
    const response = await client.generate({ model: 'gpt-4o-mini', messages: [user('scripted usage please')] });
    expect(response.usage?.outputTokens).toBe(42n);
    expect(response.usage?.inputTokens).toBeGreaterThan(0n);
    expect(response.responseModel).toBe('gpt-4o-mini');
    const events = [];
    for await (const event of client.streamGenerate({ model: 'gpt-4o-mini', messages: [user('scripted usage please')] })) events.push(event);
    const final = events.at(-1)?.event;
    expect(final?.case).toBe('final');
    expect(final?.case === 'final' && final.value.usage?.outputTokens).toBe(42n);
    expect(final?.case === 'final' && final.value.usageEstimated).toBe(false);
    expect(final?.case === 'final' && final.value.usage?.estimated).toBe(false);
  });

  it('asks for usage on streams, uses max_completion_tokens, forwards the request id and the upstream model name', async () => {
    const stream = client.streamGenerate({
      model: 'text-only',
      messages: [user('hi')],
      params: { maxOutputTokens: 50 },
      requestId: 'req-123',
      endUserId: 'user-9',
    });
    for await (const event of stream) void event;
    const request = fake.requests.filter((r) => r.method === 'POST').at(-1);
    expect(request?.body).toMatchObject({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, max_completion_tokens: 50, safety_identifier: 'user-9' });
    expect(request?.headers['x-client-request-id']).toBe('req-123');
  });

  it('cuts the SDK timeout to the caller deadline', async () => {
    // The SDK announces its timeout in whole seconds (x-stainless-timeout): the config's 1.5 s → 1, a 900 ms deadline → 0.
    await client.generate({ model: 'gpt-4o-mini', messages: [user('hi')] });
    expect(fake.requests.at(-1)?.headers['x-stainless-timeout']).toBe('1');
    await client.generate({ model: 'gpt-4o-mini', messages: [user('hi')] }, { timeoutMs: 900 });
    expect(fake.requests.at(-1)?.headers['x-stainless-timeout']).toBe('0');
  });

  it('an upstream slower than the configured upstream timeout is DEADLINE_EXCEEDED (UPSTREAM_TIMEOUT)', async () => {
    fake.setFaults([{ kind: 'slow_first_byte', delayMs: 4000, times: 1 }]);
    const error = await failure(client.generate({ model: 'gpt-4o-mini', messages: [user('hi')] }, { timeoutMs: 6000 }));
    expect(error.codeName).toBe('DEADLINE_EXCEEDED');
    expect(error.reason).toBe('UPSTREAM_TIMEOUT');
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('refuses what the model cannot do before calling the upstream', async () => {
    const image = { role: common.Role.USER, parts: [{ kind: { case: 'image' as const, value: { source: { case: 'url' as const, value: 'https://example.com/a.png' } } } }] };
    const error = await failure(client.generate({ model: 'text-only', messages: [image] }));
    expect(error.code).toBe(Status.INVALID_ARGUMENT);
    expect(error.details.badRequest?.fieldViolations[0]?.field).toBe('messages[0].parts[0]');
    const tools = await failure(client.generate({ model: 'text-only', messages: [user('x')], params: { tools: [{ name: 'f' }] } }));
    expect(tools.details.badRequest?.fieldViolations[0]?.field).toBe('params.tools');
    expect(fake.requests).toHaveLength(0);
  });

  it('lists its models with prices from the catalog', async () => {
    const { models } = await client.listModels({});
    const mini = models.find((m) => m.ref?.model === 'gpt-4o-mini');
    const price = defaultPriceCatalog().priceAt({ provider: 'openai', model: 'gpt-4o-mini' }, new Date());
    expect(mini?.ref).toMatchObject({ provider: 'openai', deployment: 'openai-default' });
    expect(mini?.price?.outputNanosUsdPerMtok).toBe(price?.outputNanosPerMtok);
    expect(mini?.capabilities?.vision).toBe(true);
    expect(models.find((m) => m.ref?.model === 'text-only')?.capabilities?.vision).toBe(false);
  });

  it('never logs the provider key, even when the upstream rejects it', async () => {
    fake.setFaults([{ kind: 'wrong_key', times: 1 }]);
    const error = await failure(client.generate({ model: 'gpt-4o-mini', messages: [user('hi')] }));
    expect(error.codeName).toBe('FAILED_PRECONDITION');
    expect(error.message).not.toContain(SECRET);
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('')).not.toContain(SECRET);
    expect(logLines.join('')).not.toContain('scripted usage please');
  });
});
