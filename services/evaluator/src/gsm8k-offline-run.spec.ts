// An offline GSM8K run against fakes replaying the two models' recorded answers must reproduce,
// item by item, the correctness RouteLLM recorded in the data file.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { evaluator } from '@switchyard/contracts';
import type { RunningGrpcServer } from '@switchyard/grpc-kit';
import { defaultPriceCatalog } from '@switchyard/pricing';
import { loadGsm8kReplay, startFakeOpenAI, type FakeUpstream } from '@switchyard/testing';
import type { ModelCaller } from './model-caller';
import { createProviderModelCaller } from './provider-model-caller';
import { DEFAULT_ROUTING_DATA_DIR } from './suites/build-gsm8k-suite';
import { startFakeUpstreamProvider } from './testing/fake-upstream-provider';
import { startTestEvaluator, testNaming, type TestEvaluator } from './testing/test-evaluator';

const STRONG = 'gpt-4-1106-preview';
const WEAK = 'mixtral-8x7b-instruct';
const LIMIT = 100;

interface DataRow {
  id: string;
  strong_correct: number;
  weak_correct: number;
}

describe('offline GSM8K run with replaying fakes', () => {
  let fake: FakeUpstream;
  let provider: RunningGrpcServer;
  let caller: ModelCaller;
  let test: TestEvaluator;

  beforeAll(async () => {
    const replay = await loadGsm8kReplay(path.join(DEFAULT_ROUTING_DATA_DIR, 'routellm_gsm8k_responses.jsonl'), { strongModel: STRONG, weakModel: WEAK });
    fake = await startFakeOpenAI({ replay });
    provider = await startFakeUpstreamProvider({ baseURL: fake.baseURL, apiKey: fake.apiKey });
    const naming = testNaming();
    // The catalog puts the strong model at "openai" and the weak one at "deepinfra": one fake serves both.
    caller = createProviderModelCaller({ providers: { openai: provider.address, deepinfra: provider.address }, naming, catalog: defaultPriceCatalog() });
    test = await startTestEvaluator({ caller, naming });
  }, 120_000);

  afterAll(async () => {
    await test?.close();
    caller?.close();
    await provider?.shutdown(100);
    await fake?.close();
  });

  it('scores every item exactly as the data file records it, for both models', async () => {
    const started = await test.client.startRun({ requestId: 'gsm8k-offline', suite: 'gsm8k', models: [STRONG, WEAK], limit: LIMIT, concurrency: 8 });
    const run = started.run!;
    expect(run.models).toEqual([`openai/${STRONG}`, `deepinfra/${WEAK}`]);
    expect(run.total).toBe(2 * LIMIT);

    let last: evaluator.Run | undefined;
    const progress: number[] = [];
    for await (const update of test.client.watchRun({ runId: run.runId }, { timeoutMs: 60_000 })) {
      last = update.run;
      progress.push(update.run?.completed ?? 0);
    }
    expect(last?.state).toBe(evaluator.RunState.SUCCEEDED);
    expect(last?.completed).toBe(2 * LIMIT);
    expect(progress.length).toBeGreaterThan(1);

    const results: evaluator.ItemResult[] = [];
    let pageToken = '';
    for (let page = 0; page < 10; page++) {
      const response = await test.client.listRunResults({ runId: run.runId, pageSize: 64, pageToken });
      results.push(...response.results);
      pageToken = response.nextPageToken;
      if (!pageToken) break;
    }
    expect(results).toHaveLength(2 * LIMIT);

    const data = new Map(
      readFileSync(path.join(DEFAULT_ROUTING_DATA_DIR, 'routellm_gsm8k.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as DataRow)
        .map((row) => [row.id, row]),
    );
    const disagreements: string[] = [];
    for (const result of results) {
      const row = data.get(result.itemId)!;
      const expected = result.model === `openai/${STRONG}` ? row.strong_correct : row.weak_correct;
      expect(result.errorMessage).toBe('');
      if (result.score !== expected) disagreements.push(`${result.itemId} ${result.model}: scored ${result.score}, data ${expected} (${result.explanation})`);
    }
    expect(disagreements).toEqual([]);

    const itemIds = [...new Set(results.map((result) => result.itemId))];
    const mean = (key: 'strong_correct' | 'weak_correct') => itemIds.reduce((sum, id) => sum + data.get(id)![key], 0) / itemIds.length;
    const overall = (model: string) => last!.aggregates.find((row) => row.model === model && row.taskClass === '')!;
    expect(overall(`openai/${STRONG}`).meanScore).toBeCloseTo(mean('strong_correct'), 12);
    expect(overall(`deepinfra/${WEAK}`).meanScore).toBeCloseTo(mean('weak_correct'), 12);
    expect(overall(`openai/${STRONG}`).meanScore).toBeGreaterThan(overall(`deepinfra/${WEAK}`).meanScore);
    expect(overall(`openai/${STRONG}`).ciLow).toBeLessThan(overall(`openai/${STRONG}`).meanScore);
    expect(overall(`openai/${STRONG}`).costNanosUsd).toBeGreaterThan(overall(`deepinfra/${WEAK}`).costNanosUsd);

    // The finished run feeds the quality scores the router reads.
    const quality = await test.client.getQualityScores({ models: [STRONG] });
    expect(quality.scores).toHaveLength(1);
    expect(quality.scores[0]).toMatchObject({ model: `openai/${STRONG}`, taskClass: 'math', sampleCount: BigInt(LIMIT) });
    expect(quality.scores[0]!.meanScore).toBeCloseTo(mean('strong_correct'), 12);
  });

  it('returns the same run for the same request id', async () => {
    const again = await test.client.startRun({ requestId: 'gsm8k-offline', suite: 'gsm8k', models: [STRONG, WEAK], limit: LIMIT });
    const first = await test.client.getRun({ runId: again.run!.runId });
    expect(first.run?.state).toBe(evaluator.RunState.SUCCEEDED);
  });

  it('compares two runs item by item', async () => {
    const base = (await test.client.getRun({ runId: (await test.client.startRun({ requestId: 'gsm8k-offline', suite: 'gsm8k', models: [STRONG, WEAK] })).run!.runId })).run!;
    const head = (await test.client.startRun({ requestId: 'gsm8k-head', suite: 'gsm8k', models: [STRONG], limit: 20 })).run!;
    for await (const update of test.client.watchRun({ runId: head.runId }, { timeoutMs: 90_000 })) void update;
    const comparison = await test.client.compareRuns({ baseRunId: base.runId, headRunId: head.runId });
    const overall = comparison.deltas.find((delta) => delta.model === `openai/${STRONG}` && delta.taskClass === '')!;
    expect(overall.delta).toBeCloseTo(overall.headMean - overall.baseMean, 12);
    // The same recorded answers on the same items: no difference at all.
    expect(overall.ciLow).toBeLessThanOrEqual(overall.delta);
    expect(overall.ciHigh).toBeGreaterThanOrEqual(overall.delta);
    expect(comparison.deltas.some((delta) => delta.model === `deepinfra/${WEAK}`)).toBe(false);
  });
});
