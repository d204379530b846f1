import path from 'node:path';
import { evaluator } from '@switchyard/contracts';
import type { RunningGrpcServer } from '@switchyard/grpc-kit';
import { defaultPriceCatalog } from '@switchyard/pricing';
import { loadGsm8kReplay, startFakeOpenAI, type FakeUpstream } from '@switchyard/testing';
import type { ModelCaller } from './model-caller';
import { createProviderModelCaller } from './provider-model-caller';
import type { AggregateRow } from './run-store';
import { summarize } from './statistics';
import { DEFAULT_ROUTING_DATA_DIR } from './suites/build-gsm8k-suite';
import { startFakeUpstreamProvider } from './testing/fake-upstream-provider';
import { startTestEvaluator, testNaming, type TestEvaluator } from './testing/test-evaluator';
import { decideVerdict } from './validation-gate';

function aggregate(model: string, taskClass: string, scores: number[], errors = 0): AggregateRow {
  return { model, taskClass, scored: scores.length, errors, summary: summarize(scores), costNanos: 0n };
}

const ones = (n: number) => Array<number>(n).fill(1);
const zeros = (n: number) => Array<number>(n).fill(0);

describe('decideVerdict', () => {
  const items = (model: string, scores: number[], taskClass = 'math') => scores.map((score, i) => ({ itemId: `i${i}`, model, taskClass, score }));

  it('passes an equal candidate and fails one worse beyond tolerance', () => {
    const incumbent = [...ones(80), ...zeros(20)];
    const equal = decideVerdict({
      candidate: 'c',
      incumbent: 'i',
      tolerance: 0.02,
      aggregates: [aggregate('c', '', incumbent), aggregate('i', '', incumbent)],
      itemScores: [...items('c', incumbent), ...items('i', incumbent)],
    });
    expect(equal.outcome).toBe('pass');
    expect(equal.delta).toMatchObject({ mean: 0, ciLow: 0, ciHigh: 0 });

    const worse = [...ones(70), ...zeros(30)];
    const failed = decideVerdict({
      candidate: 'c',
      incumbent: 'i',
      tolerance: 0.02,
      aggregates: [aggregate('c', '', worse), aggregate('i', '', incumbent)],
      itemScores: [...items('c', worse), ...items('i', incumbent)],
    });
    expect(failed.outcome).toBe('fail');
    expect(failed.reason).toMatch(/^c scores 0\.700 vs i 0\.800: 0\.100 worse, beyond the tolerance 0\.020/);
    // A loose tolerance lets the same candidate through.
    expect(decideVerdict({ candidate: 'c', incumbent: 'i', tolerance: 0.2, aggregates: [aggregate('c', '', worse), aggregate('i', '', incumbent)], itemScores: [] }).outcome).toBe('pass');
  });

  it('fails a candidate confidently worse on one task class even when the overall mean is within tolerance', () => {
    const aggregates = [
      aggregate('c', '', [...ones(95), ...zeros(5)]),
      aggregate('i', '', [...ones(95), ...zeros(5)]),
      aggregate('c', 'extraction', [...ones(5), ...zeros(5)]),
      aggregate('i', 'extraction', ones(10)),
      aggregate('c', 'math', ones(90)),
      aggregate('i', 'math', [...ones(85), ...zeros(5)]),
    ];
    const itemScores = [
      ...items('c', [...ones(5), ...zeros(5)], 'extraction'),
      ...items('i', ones(10), 'extraction'),
    ];
    const decision = decideVerdict({ candidate: 'c', incumbent: 'i', tolerance: 0.02, aggregates, itemScores });
    expect(decision.outcome).toBe('fail');
    expect(decision.reason).toMatch(/on extraction beyond the tolerance with 95% confidence/);
  });

  it('fails a candidate whose answers could not be scored', () => {
    expect(decideVerdict({ candidate: 'c', incumbent: 'i', tolerance: 0.02, aggregates: [aggregate('c', '', [], 10), aggregate('i', '', ones(10))], itemScores: [] }).reason).toBe(
      'c produced no scorable answers',
    );
    expect(decideVerdict({ candidate: 'c', incumbent: 'i', tolerance: 0.02, aggregates: [aggregate('c', '', ones(8), 2), aggregate('i', '', ones(10))], itemScores: [] }).reason).toBe(
      "20.0% of c's items could not be scored (limit 10%)",
    );
  });
});

describe('ValidateModel and GetModelStatus', () => {
  const STRONG = 'gpt-4-1106-preview';
  const WEAK = 'mixtral-8x7b-instruct';
  // Answers exactly like the strong model: an "equal" candidate.
  const CLONE = 'gpt-4-turbo-clone';
  let fake: FakeUpstream;
  let provider: RunningGrpcServer;
  let caller: ModelCaller;
  let test: TestEvaluator;

  beforeAll(async () => {
    const replay = await loadGsm8kReplay(path.join(DEFAULT_ROUTING_DATA_DIR, 'routellm_gsm8k_responses.jsonl'), { strongModel: [STRONG, CLONE], weakModel: WEAK });
    fake = await startFakeOpenAI({ replay });
    provider = await startFakeUpstreamProvider({ baseURL: fake.baseURL, apiKey: fake.apiKey });
    const naming = testNaming({ [CLONE]: 'openai' });
    caller = createProviderModelCaller({ providers: { openai: provider.address, deepinfra: provider.address }, naming, catalog: defaultPriceCatalog() });
    test = await startTestEvaluator({ caller, naming });
  }, 120_000);

  afterAll(async () => {
    await test?.close();
    caller?.close();
    await provider?.shutdown(100);
    await fake?.close();
  });

  it('fails a candidate worse than the incumbent beyond tolerance, and reports it REJECTED', async () => {
    const { verdict } = await test.client.validateModel({ requestId: 'weak-vs-strong', candidate: WEAK, incumbent: STRONG, suite: 'gsm8k', limit: 60 }, { timeoutMs: 60_000 });
    expect(verdict).toMatchObject({ candidate: `deepinfra/${WEAK}`, incumbent: `openai/${STRONG}`, suite: 'gsm8k@1', outcome: evaluator.VerdictOutcome.FAIL, tolerance: 0.02 });
    expect(verdict!.reason).toMatch(/worse, beyond the tolerance 0\.020/);
    const candidateOverall = verdict!.candidateScores.find((row) => row.taskClass === '')!;
    const incumbentOverall = verdict!.incumbentScores.find((row) => row.taskClass === '')!;
    expect(candidateOverall.scored).toBe(60);
    expect(candidateOverall.meanScore).toBeLessThan(incumbentOverall.meanScore - 0.02);
    expect(verdict!.candidateScores.map((row) => row.taskClass)).toEqual(['', 'math']);

    const status = await test.client.getModelStatus({ model: WEAK });
    expect(status.status).toBe(evaluator.ModelStatus.REJECTED);
    expect(status.latestVerdict?.runId).toBe(verdict!.runId);

    // The same request id returns the same verdict without another run.
    const again = await test.client.validateModel({ requestId: 'weak-vs-strong', candidate: WEAK, incumbent: STRONG, suite: 'gsm8k', limit: 60 });
    expect(again.verdict?.runId).toBe(verdict!.runId);
  });

  it('passes a candidate equal to the incumbent, and reports it VALIDATED', async () => {
    const { verdict } = await test.client.validateModel({ requestId: 'clone-vs-strong', candidate: CLONE, incumbent: STRONG, suite: 'gsm8k', limit: 60 }, { timeoutMs: 60_000 });
    expect(verdict?.outcome).toBe(evaluator.VerdictOutcome.PASS);
    expect(verdict?.candidate).toBe(`openai/${CLONE}`);
    expect(verdict!.candidateScores[0]!.meanScore).toBe(verdict!.incumbentScores[0]!.meanScore);
    expect((await test.client.getModelStatus({ model: `openai/${CLONE}` })).status).toBe(evaluator.ModelStatus.VALIDATED);
  });

  it('lets the tolerance decide, and knows nothing of models never validated', async () => {
    const { verdict } = await test.client.validateModel({ requestId: 'weak-loose', candidate: WEAK, incumbent: STRONG, suite: 'gsm8k', limit: 20, tolerance: 0.9 }, { timeoutMs: 60_000 });
    expect(verdict?.outcome).toBe(evaluator.VerdictOutcome.PASS);
    expect((await test.client.getModelStatus({ model: 'openai/gpt-4o' })).status).toBe(evaluator.ModelStatus.UNSPECIFIED);
  });

  it('rejects bad requests with the field at fault', async () => {
    await expect(test.client.validateModel({ candidate: STRONG, incumbent: STRONG, suite: 'gsm8k' })).rejects.toMatchObject({ codeName: 'INVALID_ARGUMENT', message: expect.stringContaining('incumbent') });
    await expect(test.client.validateModel({ candidate: WEAK, incumbent: STRONG, suite: 'nope' })).rejects.toMatchObject({ codeName: 'INVALID_ARGUMENT', message: expect.stringContaining('unknown suite "nope"') });
    await expect(test.client.validateModel({ candidate: WEAK, incumbent: STRONG, suite: 'gsm8k', tolerance: 2 })).rejects.toMatchObject({ codeName: 'INVALID_ARGUMENT' });
  });
});
