import { createLogger, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { formatConformanceTable, runConformance, startFakeOpenAI, type FakeUpstream } from '@switchyard/testing';
import { startCompatibleAdapter } from './compatible-adapter';
import { compatibleAdapterConfigSchema } from './config';

// Two deployments as configuration only: a vLLM serving Qwen (stream usage supported, capacity-priced)
// and an Ollama serving Llama without stream_options (streamed usage is estimated).
const deployments = [
  {
    name: 'vLLM serving Qwen',
    config: {
      provider: 'vllm-qwen',
      deployment: 'vllm-qwen-l4',
      quirks: { maxTokensField: 'max_tokens', supportsStreamOptions: true },
      models: [
        {
          id: 'qwen2.5-7b-instruct',
          upstreamModel: 'Qwen/Qwen2.5-7B-Instruct',
          selfHosted: true,
          capabilities: { contextWindowTokens: 32768, maxOutputTokens: 8192, tools: true, jsonOutput: true, structuredOutput: true },
        },
      ],
    },
  },
  {
    name: 'Ollama without stream_options',
    config: {
      provider: 'ollama',
      deployment: 'ollama-laptop',
      quirks: { supportsStreamOptions: false, supportsJsonSchema: false },
      models: [
        {
          id: 'llama3.1:8b',
          selfHosted: true,
          capabilities: { contextWindowTokens: 131072, maxOutputTokens: 4096, tools: true, jsonOutput: true, structuredOutput: true },
          price: { capacityUsdPerHour: '0.10', source: 'laptop electricity, internal estimate' },
        },
      ],
    },
  },
];

describe.each(deployments)('adapter-openai-compatible conformance: $name', ({ config: deployment }) => {
  let fake: FakeUpstream;
  let adapter: RunningGrpcServer;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    const config = compatibleAdapterConfigSchema.parse({
      ...deployment,
      listen: '127.0.0.1:0',
      upstream: { baseUrl: fake.baseURL, timeoutMs: 10_000 },
    });
    adapter = await startCompatibleAdapter({
      config,
      apiKey: fake.apiKey,
      logger: createLogger({ service: 'adapter-openai-compatible', level: 'silent' }),
    });
  });

  afterAll(async () => {
    await adapter?.shutdown(0);
    await fake?.close();
  });

  it('passes every case', async () => {
    const report = await runConformance({ target: adapter.address, fake });
    if (!report.passed) console.log(formatConformanceTable(report));
    expect(report.results.filter((r) => r.status === 'fail' || r.status === 'skip').map((r) => `${r.id}: ${r.detail}`)).toEqual([]);
    expect(report.passed).toBe(true);
  });
});
