// The whole evaluator on a real PostgreSQL server (DATABASE_URL): runs, validation, online shadow
// scoring and quality scores use only SQL both engines share.
import { create } from '@bufbuild/protobuf';
import { common, evaluator } from '@switchyard/contracts';
import { createTestDatabase, testBackends, type TestDatabase } from '@switchyard/database/testing';
import type { RunningGrpcServer } from '@switchyard/grpc-kit';
import { chatMessage } from '@switchyard/sdk';
import { startFakeOpenAI, type FakeUpstream } from '@switchyard/testing';
import type { ModelCaller } from './model-caller';
import { compareWithShadow } from './online-scoring';
import { createProviderModelCaller } from './provider-model-caller';
import { startFakeUpstreamProvider } from './testing/fake-upstream-provider';
import { startTestEvaluator, testNaming, type TestEvaluator } from './testing/test-evaluator';

describe('shadow comparison', () => {
  it.each([
    ['The total is 42.', 'So #### 42', 'math', 1],
    ['The total is 41.', 'So #### 42', 'math', 0],
    ['Paris is the capital of France', 'The capital of France is Paris', 'chat', 1],
    ['Rome', 'Paris', 'chat', 0],
  ])('compares %j with the reference %j (%s) as %d', (reply, shadow, taskClass, score) => {
    expect(compareWithShadow(reply, shadow, taskClass).score).toBeCloseTo(score, 12);
  });
});

const postgres = testBackends().includes('postgres') ? describe : describe.skip;

postgres('the evaluator on PostgreSQL', () => {
  let fake: FakeUpstream;
  let provider: RunningGrpcServer;
  let caller: ModelCaller;
  let database: TestDatabase;
  let test: TestEvaluator;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    provider = await startFakeUpstreamProvider({ baseURL: fake.baseURL, apiKey: fake.apiKey });
    const naming = testNaming();
    caller = createProviderModelCaller({ providers: { openai: provider.address }, naming });
    database = await createTestDatabase('postgres');
    // No judge: online exchanges are scored as a shadow of openai/gpt-4-1106-preview.
    test = await startTestEvaluator({ caller, naming, database: database.database, demotion: { minSamples: 2 } });
  }, 120_000);

  afterAll(async () => {
    await test?.close();
    await database?.close();
    caller?.close();
    await provider?.shutdown(100);
    await fake?.close();
  });

  it('runs, validates, scores online and serves quality scores', async () => {
    const { verdict } = await test.client.validateModel({ requestId: 'pg-1', candidate: 'gpt-4o-mini', incumbent: 'gpt-4o', suite: 'safety', limit: 10 }, { timeoutMs: 60_000 });
    // The canned fake answers both models alike: equal models pass.
    expect(verdict?.outcome).toBe(evaluator.VerdictOutcome.PASS);
    const run = (await test.client.getRun({ runId: verdict!.runId })).run!;
    expect(run).toMatchObject({ state: evaluator.RunState.SUCCEEDED, completed: 20, total: 20 });
    expect((await test.client.getModelStatus({ model: 'gpt-4o-mini' })).status).toBe(evaluator.ModelStatus.VALIDATED);

    const other = (await test.client.startRun({ suite: 'safety', models: ['gpt-4o-mini'], limit: 5 })).run!;
    for await (const update of test.client.watchRun({ runId: other.runId }, { timeoutMs: 90_000 })) void update;
    const { deltas } = await test.client.compareRuns({ baseRunId: run.runId, headRunId: other.runId });
    expect(deltas.find((delta) => delta.taskClass === '')).toMatchObject({ model: 'openai/gpt-4o-mini' });

    for (const id of ['pg-online-1', 'pg-online-2']) {
      const accepted = await test.client.submitExchange({
        requestId: id,
        teamId: 'acme',
        model: { provider: 'openai', model: 'gpt-4o' },
        classification: create(common.ClassificationSchema, { taskClass: common.TaskClass.CHAT }),
        messages: [chatMessage('user', 'What is 2 + 2?')],
        reply: chatMessage('assistant', 'nothing alike'),
      });
      expect(accepted.accepted).toBe(true);
    }
    await test.evaluator.online.idle();
    const status = await test.client.getModelStatus({ model: 'openai/gpt-4o' });
    expect(status.onlineSampleCount).toBe(2n);
    const { scores } = await test.client.getQualityScores({ models: ['gpt-4o-mini', 'gpt-4o'] });
    expect(scores.map((score) => `${score.model} ${score.taskClass}`).sort()).toEqual(['openai/gpt-4o chat', 'openai/gpt-4o-mini chat']);
  });
});
