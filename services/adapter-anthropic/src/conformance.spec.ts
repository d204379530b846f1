import { createLogger, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { formatConformanceTable, runConformance, startFakeAnthropic, type FakeUpstream } from '@switchyard/testing';
import { startAnthropicAdapter } from './anthropic-adapter';
import { anthropicAdapterConfigSchema } from './config';

describe('adapter-anthropic conformance over real gRPC against the fake Anthropic', () => {
  let fake: FakeUpstream;
  let adapter: RunningGrpcServer;

  beforeAll(async () => {
    fake = await startFakeAnthropic();
    const config = anthropicAdapterConfigSchema.parse({
      listen: '127.0.0.1:0',
      upstream: { baseUrl: fake.baseURL, timeoutMs: 10_000 },
      models: [{ id: 'claude-haiku-4-5' }, { id: 'claude-sonnet-4-5' }],
    });
    adapter = await startAnthropicAdapter({ config, apiKey: fake.apiKey, logger: createLogger({ service: 'adapter-anthropic', level: 'silent' }) });
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
