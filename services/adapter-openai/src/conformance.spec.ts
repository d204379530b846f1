import { createLogger } from '@switchyard/grpc-kit';
import { formatConformanceTable, runConformance, startFakeOpenAI, type FakeUpstream } from '@switchyard/testing';
import type { RunningGrpcServer } from '@switchyard/grpc-kit';
import { openAIAdapterConfigSchema } from './config';
import { startOpenAIAdapter } from './openai-adapter';

describe('adapter-openai conformance over real gRPC against the fake OpenAI', () => {
  let fake: FakeUpstream;
  let adapter: RunningGrpcServer;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    const config = openAIAdapterConfigSchema.parse({
      listen: '127.0.0.1:0',
      upstream: { baseUrl: fake.baseURL, timeoutMs: 10_000 },
      models: [{ id: 'gpt-4o-mini' }, { id: 'gpt-4o' }, { id: 'gpt-4.1-mini' }],
    });
    adapter = await startOpenAIAdapter({ config, apiKey: fake.apiKey, logger: createLogger({ service: 'adapter-openai', level: 'silent' }) });
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
