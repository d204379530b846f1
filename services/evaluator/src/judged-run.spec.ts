// The LLM judge inside a run: replies become scores with reasons; a malformed judge reply is that
// item's recorded error (counted in the aggregate), never a crash and never a silent zero.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { evaluator } from '@switchyard/contracts';
import type { RunningGrpcServer } from '@switchyard/grpc-kit';
import { startFakeOpenAI, type FakeChatRequest, type FakeUpstream } from '@switchyard/testing';
import type { ModelCaller } from './model-caller';
import { createProviderModelCaller } from './provider-model-caller';
import { createJudge } from './scorers/llm-judge';
import { startFakeUpstreamProvider } from './testing/fake-upstream-provider';
import { startTestEvaluator, testNaming, type TestEvaluator } from './testing/test-evaluator';

/** The judge's replies, chosen by a marker in the graded answer. */
function judgeReply(request: FakeChatRequest): { text: string } | undefined {
  if (!request.messages.some((message) => message.role === 'system' && message.text.includes('impartial grader'))) return undefined;
  const prompt = request.messages[request.messages.length - 1]!.text;
  if (prompt.includes('malformed-please')) return { text: 'What a lovely answer, I would give it high marks.' };
  if (prompt.includes('out-of-range-please')) return { text: '{"score": 42, "reason": "Off the scale."}' };
  if (prompt.includes('wrong-please')) return { text: '{"score": 2, "reason": "The capital is wrong."}' };
  return { text: '```json\n{"score": 9, "reason": "Correct and concise."}\n```' };
}

describe('a run scored by the LLM judge', () => {
  let folder: string;
  let fake: FakeUpstream;
  let provider: RunningGrpcServer;
  let caller: ModelCaller;
  let test: TestEvaluator;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'switchyard-judged-'));
    const lines = [
      { suite: 'judged', version: '1', task_class: 'chat', scorer: { type: 'llm_judge' } },
      { id: 'good-1', prompt: 'What is the capital of France?', reference: 'Paris' },
      { id: 'good-2', prompt: 'Name a primary colour.' },
      { id: 'wrong', prompt: 'wrong-please: what is the capital of Italy?' },
      { id: 'malformed', prompt: 'malformed-please: say hi' },
      { id: 'out-of-range', prompt: 'out-of-range-please: say bye' },
    ];
    await writeFile(path.join(folder, 'judged.v1.jsonl'), lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
    fake = await startFakeOpenAI({ respond: judgeReply });
    provider = await startFakeUpstreamProvider({ baseURL: fake.baseURL, apiKey: fake.apiKey });
    const naming = testNaming();
    caller = createProviderModelCaller({ providers: { openai: provider.address }, naming });
    const judge = createJudge({ caller, model: 'openai/gpt-4o', timeoutMs: 30_000 });
    test = await startTestEvaluator({ caller, judge, naming, suiteFolders: [folder] });
  }, 120_000);

  afterAll(async () => {
    await test?.close();
    caller?.close();
    await provider?.shutdown(100);
    await fake?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('records judge scores with reasons and malformed replies as item errors', async () => {
    const { run } = await test.client.startRun({ suite: 'judged', models: ['gpt-4o-mini'], concurrency: 2 });
    let last: evaluator.Run | undefined;
    for await (const update of test.client.watchRun({ runId: run!.runId }, { timeoutMs: 90_000 })) last = update.run;
    expect(last?.state).toBe(evaluator.RunState.SUCCEEDED);

    const { results } = await test.client.listRunResults({ runId: run!.runId });
    const byId = new Map(results.map((result) => [result.itemId, result]));
    expect(byId.get('good-1')).toMatchObject({ score: 8 / 9, errorMessage: '', explanation: 'judge openai/gpt-4o (general@1): 9/10 — Correct and concise.' });
    expect(byId.get('wrong')).toMatchObject({ score: 1 / 9, explanation: 'judge openai/gpt-4o (general@1): 2/10 — The capital is wrong.' });
    for (const id of ['malformed', 'out-of-range']) {
      expect(byId.get(id)!.score).toBeUndefined();
      expect(byId.get(id)!.errorMessage).toMatch(/^malformed judge reply: judge (reply has no score: "What a lovely|score 42 is not)/);
    }

    const overall = last!.aggregates.find((row) => row.taskClass === '')!;
    expect(overall).toMatchObject({ model: 'openai/gpt-4o-mini', scored: 3, errors: 2 });
    expect(overall.meanScore).toBeCloseTo((8 / 9 + 8 / 9 + 1 / 9) / 3, 12);

    // The judge saw the reference answer where the item had one.
    const judgeCalls = fake.requests.filter((request) => JSON.stringify(request.body).includes('impartial grader'));
    expect(judgeCalls).toHaveLength(5);
    expect(judgeCalls.some((request) => JSON.stringify(request.body).includes('[Reference answer]\\nParis'))).toBe(true);
  });
});
