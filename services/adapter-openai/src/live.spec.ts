import { createLogger, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { formatConformanceTable, runConformance } from '@switchyard/testing';
import { openAIAdapterConfigSchema } from './config';
import { startOpenAIAdapter } from './openai-adapter';

// Optional live suite: runs only when OPENAI_API_KEY is set, and never in CI (CI sets CI=true).
// It costs a few small requests to the real API; fault, deadline and cancel cases need the fake and are left out.
const apiKey = process.env['OPENAI_API_KEY'];
const live = apiKey && !process.env['CI'] ? describe : describe.skip;

live('adapter-openai live against the real OpenAI API', () => {
  let adapter: RunningGrpcServer;

  beforeAll(async () => {
    const config = openAIAdapterConfigSchema.parse({ upstream: { baseUrl: 'https://api.openai.com/v1', timeoutMs: 60_000 }, models: [{ id: 'gpt-4o-mini' }] });
    adapter = await startOpenAIAdapter({ config, apiKey: apiKey ?? '', logger: createLogger({ service: 'adapter-openai', level: 'silent' }) });
  });
  afterAll(() => adapter?.shutdown(0));

  it('passes the conformance cases that need no fake', async () => {
    const report = await runConformance({ target: adapter.address, faults: false, caseTimeoutMs: 60_000 });
    console.log(formatConformanceTable(report));
    expect(report.results.filter((r) => r.status === 'fail').map((r) => `${r.id}: ${r.detail}`)).toEqual([]);
  });
});
