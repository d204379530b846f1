import { common } from '@switchyard/contracts';
import { createLogger, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { createProviderClient, type ProviderServiceClient } from '@switchyard/sdk';
import { startFakeOpenAI, type FakeUpstream } from '@switchyard/testing';
import { startCompatibleAdapter } from './compatible-adapter';
import { compatibleAdapterConfigSchema } from './config';

const user = (text: string) => ({ role: common.Role.USER, parts: [{ kind: { case: 'text' as const, value: text } }] });

// One deployment described entirely by configuration: a llama.cpp server without stream_options,
// without a tool parser, behind a gateway that wants a routing header.
describe('adapter-openai-compatible: quirks are configuration', () => {
  let fake: FakeUpstream;
  let adapter: RunningGrpcServer;
  let client: ProviderServiceClient;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    const config = compatibleAdapterConfigSchema.parse({
      provider: 'llamacpp',
      deployment: 'llamacpp-gpu0',
      upstream: { baseUrl: fake.baseURL, extraHeaders: { 'x-gateway-route': 'gpu0' } },
      quirks: { supportsStreamOptions: false, supportsTools: false, maxTokensField: 'max_tokens', endUserField: 'none' },
      models: [
        {
          id: 'support-llama-8b-ft',
          upstreamModel: 'models/support-llama-8b-ft.Q4_K_M.gguf',
          selfHosted: true,
          capabilities: { contextWindowTokens: 8192, maxOutputTokens: 2048, tools: true },
          price: { capacityUsdPerHour: '2.40', source: 'A100 reservation' },
        },
      ],
    });
    adapter = await startCompatibleAdapter({ config, apiKey: fake.apiKey, logger: createLogger({ service: 'compat', level: 'silent' }) });
    client = createProviderClient(adapter.address);
  });
  afterAll(async () => {
    client.close();
    await adapter.shutdown(0);
    await fake.close();
  });
  beforeEach(() => fake.clearRequests());

  it('streams without stream_options and marks the final usage as estimated', async () => {
    const events = [];
    for await (const event of client.streamGenerate({ model: 'support-llama-8b-ft', messages: [user('hello')], params: { maxOutputTokens: 30 }, endUserId: 'u1' })) {
      events.push(event);
    }
    const request = fake.requests.at(-1);
    expect(request?.body).toMatchObject({ model: 'models/support-llama-8b-ft.Q4_K_M.gguf', stream: true, max_tokens: 30 });
    expect(request?.body).not.toHaveProperty('stream_options');
    expect(request?.body).not.toHaveProperty('user');
    expect(request?.headers['x-gateway-route']).toBe('gpu0');
    const final = events.at(-1)?.event;
    expect(final?.case).toBe('final');
    if (final?.case !== 'final') return;
    expect(final.value.usageEstimated).toBe(true);
    expect(final.value.usage?.estimated).toBe(true);
    expect(final.value.usage?.outputTokens).toBeGreaterThan(0n);
  });

  it('refuses tools on a server without tool support, whatever the model says', async () => {
    await expect(
      client.generate({ model: 'support-llama-8b-ft', messages: [user('x')], params: { tools: [{ name: 'lookup' }] } }),
    ).rejects.toMatchObject({ codeName: 'INVALID_ARGUMENT' });
    const { models } = await client.listModels({});
    expect(models[0]?.capabilities?.tools).toBe(false);
    expect(fake.requests).toHaveLength(0);
  });

  it('lists the model as self-hosted with the capacity price from the catalog (or the config when the catalog has none)', async () => {
    const { models } = await client.listModels({});
    expect(models[0]?.ref).toEqual(expect.objectContaining({ provider: 'llamacpp', model: 'support-llama-8b-ft', deployment: 'llamacpp-gpu0' }));
    expect(models[0]?.selfHosted).toBe(true);
    expect(models[0]?.price?.capacityNanosUsdPerHour).toBe(2_400_000_000n);
    expect(models[0]?.price?.source).toBe('A100 reservation');
  });
});
