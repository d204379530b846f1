import { provider } from '@switchyard/contracts';
import { createLogger, startGrpcServer, type RunningGrpcServer } from '@switchyard/grpc-kit';
import type { ProviderServiceImplementation } from '@switchyard/sdk';
import { runConformance } from './run-conformance';
import { formatConformanceTable } from './conformance-report';

// A deliberately sloppy ProviderService: the suite must catch what it gets wrong.
const sloppy: ProviderServiceImplementation = {
  generate: () => ({ message: { role: 3, parts: [{ kind: { case: 'text', value: 'hi' } }] }, finishReason: 1, providerFinishReason: 'stop' }),
  async *streamGenerate() {
    yield { event: { case: 'final', value: { finishReason: 1 } } };
    yield { event: { case: 'delta', value: { text: 'late' } } };
  },
  listModels: () => ({
    models: [{ ref: { provider: 'p', model: 'm', deployment: 'd' }, displayName: 'm', capabilities: { contextWindowTokens: 10n, maxOutputTokens: 5n, streaming: true } }],
  }),
};

describe('runConformance', () => {
  let server: RunningGrpcServer;
  beforeAll(async () => {
    server = await startGrpcServer({
      name: 'sloppy',
      address: '127.0.0.1:0',
      errorDomain: 'provider.switchyard.dev',
      services: [{ service: provider.ProviderService, implementation: sloppy }],
      logger: createLogger({ service: 'sloppy', level: 'silent' }),
    });
  });
  afterAll(() => server.shutdown(0));

  it('reports each broken promise of the contract, and skips fault cases without a fake', async () => {
    const report = await runConformance({ target: server.address });
    const status = Object.fromEntries(report.results.map((r) => [r.id, r.status]));
    expect(report.passed).toBe(false);
    expect(status).toMatchObject({
      'list-models.shape': 'fail', // no price
      'list-models.pagination': 'fail', // ignores page_size and tokens
      'generate.unary': 'fail', // no usage
      'generate.unknown-model': 'fail', // answers any model
      'stream.order': 'fail', // final before a delta
      'generate.tool-call': 'n/a',
      'fault.rate-limit': 'skip',
      'cancel.stream': 'skip',
    });
    const table = formatConformanceTable(report);
    expect(table).toContain('FAILED:');
    expect(table).toMatch(/FAIL\s+generate\.unary\s+\d+ ms\s+Generate: usage is missing/);
  });

  it('fails every case, without throwing, when nothing listens at the target', async () => {
    const report = await runConformance({ target: '127.0.0.1:1', only: ['generate.unary', 'stream.order'] });
    expect(report.results.map((r) => r.status)).toEqual(['fail', 'fail']);
    expect(report.results[0]?.detail).toMatch(/cannot start/);
  }, 15_000);
});
