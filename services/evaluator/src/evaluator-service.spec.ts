// EvaluatorService over real gRPC: listing, request validation, retries of transient upstream
// failures, item deadlines, and the shipped extraction and safety suites end to end.
import { evaluator } from '@switchyard/contracts';
import type { RunningGrpcServer } from '@switchyard/grpc-kit';
import { startFakeOpenAI, type FakeUpstream } from '@switchyard/testing';
import type { ModelCaller } from './model-caller';
import { createProviderModelCaller } from './provider-model-caller';
import { startFakeUpstreamProvider } from './testing/fake-upstream-provider';
import { startTestEvaluator, testNaming, type TestEvaluator } from './testing/test-evaluator';

async function finished(test: TestEvaluator, runId: string): Promise<evaluator.Run> {
  let last: evaluator.Run | undefined;
  for await (const update of test.client.watchRun({ runId }, { timeoutMs: 90_000 })) last = update.run;
  return last!;
}

describe('EvaluatorService', () => {
  let fake: FakeUpstream;
  let provider: RunningGrpcServer;
  let caller: ModelCaller;
  let test: TestEvaluator;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    provider = await startFakeUpstreamProvider({ baseURL: fake.baseURL, apiKey: fake.apiKey });
    const naming = testNaming();
    caller = createProviderModelCaller({ providers: { openai: provider.address }, naming });
    test = await startTestEvaluator({ caller, naming });
    // The fake's first answer loads its tokenizer (~0.5 s): keep that out of the deadline test.
    await caller.generate({ model: 'gpt-4o', messages: [{ role: 'user', content: 'warm up' }], requestId: 'warm-up', timeoutMs: 60_000, purpose: 'run' });
  }, 120_000);

  afterAll(async () => {
    await test?.close();
    caller?.close();
    await provider?.shutdown(100);
    await fake?.close();
  });

  it('lists the shipped suites with pagination', async () => {
    const first = await test.client.listSuites({ pageSize: 2 });
    expect(first.suites.map((suite) => suite.name)).toEqual(['extraction', 'gsm8k']);
    const second = await test.client.listSuites({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.suites.map((suite) => [suite.name, suite.version, suite.scorers])).toEqual([['safety', '1', ['regex']]]);
    expect(second.nextPageToken).toBe('');
    await expect(test.client.listSuites({ pageToken: 'garbage' })).rejects.toMatchObject({ codeName: 'INVALID_ARGUMENT' });
  });

  it.each([
    [{ suite: '', models: ['m'] }, 'suite'],
    [{ suite: 'gsm8k', models: [] }, 'models'],
    [{ suite: 'gsm8k', models: ['gpt-4o', 'openai/gpt-4o'] }, 'listed twice'],
    [{ suite: 'gsm8k', models: ['m'], concurrency: 65 }, 'concurrency'],
    [{ suite: 'gsm8k', models: ['m'], limit: -1 }, 'limit'],
    [{ suite: 'gsm8k', models: ['m'], itemTimeout: { seconds: 3600n } }, 'item_timeout'],
  ])('rejects StartRun %j naming %s', async (request, field) => {
    await expect(test.client.startRun(request)).rejects.toMatchObject({ codeName: 'INVALID_ARGUMENT', message: expect.stringContaining(field) });
  });

  it('answers NOT_FOUND for an unknown run', async () => {
    await expect(test.client.getRun({ runId: 'run_nope' })).rejects.toMatchObject({ codeName: 'NOT_FOUND' });
  });

  it('retries an unavailable upstream and records an item that misses its deadline as an error', async () => {
    fake.setFaults([
      { kind: 'unavailable', times: 2, model: 'gpt-4o' },
      { kind: 'slow_first_byte', delayMs: 3000, model: 'gpt-4o-mini' },
    ]);
    try {
      const { run } = await test.client.startRun({ suite: 'safety', models: ['gpt-4o', 'gpt-4o-mini'], limit: 1, itemTimeout: { seconds: 1n, nanos: 0 } });
      const done = await finished(test, run!.runId);
      expect(done.state).toBe(evaluator.RunState.SUCCEEDED);
      const { results } = await test.client.listRunResults({ runId: run!.runId });
      const retried = results.find((result) => result.model === 'openai/gpt-4o')!;
      expect(retried.errorMessage).toBe('');
      expect(retried.score).toBe(0);
      const late = results.find((result) => result.model === 'openai/gpt-4o-mini')!;
      expect(late.score).toBeUndefined();
      expect(late.errorMessage).toMatch(/^model call failed: DEADLINE_EXCEEDED/);
      expect(done.aggregates.find((row) => row.model === 'openai/gpt-4o-mini' && row.taskClass === '')).toMatchObject({ scored: 0, errors: 1 });
    } finally {
      fake.setFaults([]);
    }
  });

  it('runs the safety suite: the canned fake never refuses, so it passes benign items and fails harmful ones', async () => {
    const { run } = await test.client.startRun({ suite: 'safety', models: ['gpt-4o-mini'], concurrency: 8 });
    const done = await finished(test, run!.runId);
    const overall = done.aggregates.find((row) => row.taskClass === '')!;
    expect(overall).toMatchObject({ scored: 28, errors: 0 });
    expect(overall.meanScore).toBeCloseTo(0.5, 12);
  });

  it('runs the extraction suite: JSON that misses the schema scores 0, never an error', async () => {
    const { run } = await test.client.startRun({ suite: 'extraction', models: ['gpt-4o-mini'], concurrency: 8 });
    const done = await finished(test, run!.runId);
    expect(done.aggregates.find((row) => row.taskClass === '')).toMatchObject({ scored: 24, errors: 0, meanScore: 0 });
    const { results } = await test.client.listRunResults({ runId: run!.runId, pageSize: 1 });
    expect(results[0]!.explanation).toMatch(/^schema: /);
  });
});
