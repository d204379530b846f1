// Online scoring: the router samples live exchanges and submits them; the evaluator answers at once,
// scores in the background, folds the scores into quality, and demotes a model that scores badly.
import { setTimeout as sleep } from 'node:timers/promises';
import { create } from '@bufbuild/protobuf';
import { common, evaluator } from '@switchyard/contracts';
import { createPgliteDatabase, type Database } from '@switchyard/database';
import { createLogger, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { chatMessage } from '@switchyard/sdk';
import { startFakeOpenAI, type FakeChatRequest, type FakeUpstream } from '@switchyard/testing';
import { applyMigrations } from './migrations/migration-runner';
import type { ModelCaller } from './model-caller';
import { createOnlineScoring, type OnlineExchange } from './online-scoring';
import { createProviderModelCaller } from './provider-model-caller';
import { createQualityStore } from './quality-store';
import { createJudge, type Judge } from './scorers/llm-judge';
import { startFakeUpstreamProvider } from './testing/fake-upstream-provider';
import { startTestEvaluator, testNaming, type TestEvaluator } from './testing/test-evaluator';

/** A seeded PRNG (mulberry32): the sample is the same on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function judgeReply(request: FakeChatRequest): { text: string } | undefined {
  if (!request.messages.some((message) => message.role === 'system' && message.text.includes('impartial grader'))) return undefined;
  const graded = request.messages[request.messages.length - 1]!.text;
  if (graded.includes('MALFORMED')) return { text: `I would rather not grade: ${graded.slice(0, 40)}` };
  return { text: graded.includes('BAD ANSWER') ? '{"score": 1, "reason": "Unhelpful."}' : '{"score": 9, "reason": "Helpful."}' };
}

function exchange(requestId: string, model: string, reply: string, teamId = 'acme') {
  return {
    requestId,
    teamId,
    model: { provider: 'openai', model },
    classification: create(common.ClassificationSchema, { taskClass: common.TaskClass.CHAT }),
    messages: [chatMessage('user', `question ${requestId}`)],
    reply: chatMessage('assistant', reply),
  };
}

describe('online scoring through SubmitExchange', () => {
  let fake: FakeUpstream;
  let provider: RunningGrpcServer;
  let caller: ModelCaller;
  let test: TestEvaluator;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ respond: judgeReply });
    provider = await startFakeUpstreamProvider({ baseURL: fake.baseURL, apiKey: fake.apiKey });
    const naming = testNaming();
    caller = createProviderModelCaller({ providers: { openai: provider.address }, naming });
    const judge = createJudge({ caller, model: 'openai/gpt-4o', timeoutMs: 30_000 });
    test = await startTestEvaluator({ caller, judge, naming, demotion: { minSamples: 10, threshold: 0.5 } });
  }, 120_000);

  afterAll(async () => {
    await test?.close();
    caller?.close();
    await provider?.shutdown(100);
    await fake?.close();
  });

  it('scores about 10% of live requests when the router samples at 10%', async () => {
    const random = seededRandom(7);
    const submissions: Array<Promise<evaluator.SubmitExchangeResponse>> = [];
    for (let i = 0; i < 1000; i++) {
      // The router's side: a 10% coin flip, then a call it does not wait for.
      if (random() < 0.1) submissions.push(test.client.submitExchange(exchange(`live-${i}`, 'gpt-4o-mini', `answer ${i}`)));
    }
    const responses = await Promise.all(submissions);
    expect(responses.every((response) => response.accepted)).toBe(true);
    expect(submissions.length).toBeGreaterThanOrEqual(70);
    expect(submissions.length).toBeLessThanOrEqual(130);
    await test.evaluator.online.idle();

    const { rows } = await test.database.query<{ n: number }>("SELECT count(*)::int AS n FROM online_exchanges WHERE request_id LIKE 'live-%' AND score IS NOT NULL");
    expect(rows[0]!.n).toBe(submissions.length);
    const { scores } = await test.client.getQualityScores({ models: ['openai/gpt-4o-mini'] });
    expect(scores).toEqual([expect.objectContaining({ model: 'openai/gpt-4o-mini', taskClass: 'chat', sampleCount: BigInt(submissions.length) })]);
    expect(scores[0]!.meanScore).toBeCloseTo(8 / 9, 12);
    // No content is stored, only the score and its reason.
    const stored = await test.database.query('SELECT * FROM online_exchanges LIMIT 1');
    expect(JSON.stringify(stored.rows, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))).not.toContain('question live-');
  });

  it('answers before scoring and scores each request id once', async () => {
    fake.setTiming({ latencyMs: 400 });
    try {
      const started = performance.now();
      const response = await test.client.submitExchange(exchange('slow-1', 'gpt-4o-mini', 'fine answer'));
      const elapsed = performance.now() - started;
      expect(response.accepted).toBe(true);
      // The judge takes 400 ms; the submission did not wait for it.
      expect(test.evaluator.online.stats().pending).toBeGreaterThanOrEqual(1);
      expect(elapsed).toBeLessThan(400);
      expect((await test.client.submitExchange(exchange('slow-1', 'gpt-4o-mini', 'fine answer'))).accepted).toBe(false);
      await test.evaluator.online.idle();
    } finally {
      fake.setTiming({ latencyMs: 0 });
    }
  });

  it("never scores the evaluation team's own traffic", async () => {
    expect((await test.client.submitExchange(exchange('eval-1', 'gpt-4o-mini', 'x', 'eval'))).accepted).toBe(false);
    expect(test.evaluator.online.stats().notAllowed).toBeGreaterThanOrEqual(1);
  });

  it('demotes a model whose online scores fall below its threshold', async () => {
    for (let i = 0; i < 12; i++) await test.client.submitExchange(exchange(`bad-${i}`, 'flaky-model', `BAD ANSWER ${i}`));
    await test.evaluator.online.idle();
    const status = await test.client.getModelStatus({ model: 'openai/flaky-model' });
    expect(status).toMatchObject({ status: evaluator.ModelStatus.DEMOTED, onlineSampleCount: 12n, onlineMeanScore: 0 });
    expect((await test.client.getModelStatus({ model: 'openai/gpt-4o-mini' })).status).toBe(evaluator.ModelStatus.UNSPECIFIED);
  });

  it('records a malformed judge reply as the exchange\'s error, without quoting it', async () => {
    expect((await test.client.submitExchange(exchange('malformed-1', 'gpt-4o-mini', 'MALFORMED secret reply'))).accepted).toBe(true);
    await test.evaluator.online.idle();
    const { rows } = await test.database.query<{ score: number | null; error_message: string }>("SELECT score, error_message FROM online_exchanges WHERE request_id = 'malformed-1'");
    expect(rows).toEqual([{ score: null, error_message: 'malformed judge reply: judge reply has no score' }]);
  });

  it('rejects a submission without a request id', async () => {
    await expect(test.client.submitExchange({ ...exchange('', 'm', 'x') })).rejects.toMatchObject({ codeName: 'INVALID_ARGUMENT', message: expect.stringContaining('request_id') });
  });
});

describe('the online queue', () => {
  let database: Database;

  beforeAll(async () => {
    database = await createPgliteDatabase();
    await applyMigrations(database);
  }, 30_000);

  afterAll(async () => {
    await database?.close();
  });

  it('drops and counts submissions beyond its capacity instead of waiting', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const judge: Judge = {
      model: 'stub',
      grade: async () => {
        await gate;
        return { score: 10, reason: 'ok', rubric: 'general@1', model: 'stub', costNanos: 0n };
      },
    };
    const online = createOnlineScoring({
      database,
      quality: createQualityStore(database),
      method: { kind: 'judge', judge },
      queueCapacity: 3,
      workers: 1,
      windowMs: 3600_000,
      allowTeams: ['acme'],
      evaluationTeam: 'eval',
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    const item = (id: string, teamId = 'acme'): OnlineExchange => ({ requestId: id, teamId, model: 'openai/m', taskClass: 'chat', messages: [{ role: 'user', content: 'q' }], reply: 'a' });
    const outcomes = Array.from({ length: 10 }, (_, i) => online.submit(item(`q-${i}`)));
    expect(outcomes).toEqual([...Array(3).fill('queued'), ...Array(7).fill('dropped')]);
    expect(online.submit(item('other-team', 'globex'))).toBe('not_allowed');
    await sleep(20);
    // One is being scored, so one place is free again.
    expect(online.submit(item('q-late'))).toBe('queued');
    release();
    await online.idle();
    expect(online.stats()).toMatchObject({ queued: 4, dropped: 7, notAllowed: 1, scored: 4, pending: 0 });
    await online.stop();
  });
});
