import { createLogger, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { formatConformanceTable, runConformance } from '@switchyard/testing';
import { anthropicAdapterConfigSchema } from './config';
import { startAnthropicAdapter } from './anthropic-adapter';

// Optional live suite: runs only when ANTHROPIC_API_KEY is set, and never in CI (CI sets CI=true).
// It costs a few small requests to the real API; fault, deadline and cancel cases need the fake and are left out.
const apiKey = process.env['ANTHROPIC_API_KEY'];
const live = apiKey && !process.env['CI'] ? describe : describe.skip;

live('adapter-anthropic live against the real Anthropic API', () => {
  let adapter: RunningGrpcServer;

  beforeAll(async () => {
    const config = anthropicAdapterConfigSchema.parse({ upstream: { baseUrl: 'https://api.anthropic.com', timeoutMs: 60_000 }, models: [{ id: 'claude-haiku-4-5' }] });
    adapter = await startAnthropicAdapter({ config, apiKey: apiKey ?? '', logger: createLogger({ service: 'adapter-anthropic', level: 'silent' }) });
  });
  afterAll(() => adapter?.shutdown(0));

  it('passes the conformance cases that need no fake', async () => {
    const report = await runConformance({ target: adapter.address, faults: false, caseTimeoutMs: 60_000 });
    console.log(formatConformanceTable(report));
    expect(report.results.filter((r) => r.status === 'fail').map((r) => `${r.id}: ${r.detail}`)).toEqual([]);
  });
});
